import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../errors.js';
import { newId } from './ids.js';
import { registryKeys, type RegistryKeys } from './keys.js';
import { publishModelEvent } from './model-events.js';
import { ModelRecordSchema, VersionRecordSchema, type ModelRecord, type VersionRecord } from './records.js';
import { HashRecords, asJson, list, notFound, resolveIdOrName, timestamp } from './redis-record.js';
import { runScript } from './scripts.js';

export type CreateModelInput = Pick<ModelRecord, 'name' | 'definition'> & Partial<Pick<ModelRecord, 'input_shape' | 'summary' | 'tenant'>>;
export type ModelPatch = Partial<Pick<ModelRecord, 'name' | 'definition' | 'input_shape' | 'summary'>>;

/** A trained version's facts; the store adds model_id, the version number and created_at. */
export type AddVersionInput = Omit<VersionRecord, 'model_id' | 'version' | 'created_at'>;

export interface DeletedModel {
  model: ModelRecord;
  /** Its versions, whose artifacts the caller deletes. */
  versions: VersionRecord[];
}

/** Models, by id or unique name, and their trained versions. */
export interface ModelStore {
  create(input: CreateModelInput): Promise<ModelRecord>;
  find(idOrName: string): Promise<ModelRecord | null>;
  get(idOrName: string): Promise<ModelRecord>;
  /** Oldest first. */
  list(): Promise<ModelRecord[]>;
  update(idOrName: string, patch: ModelPatch): Promise<ModelRecord>;
  /** Deletes the model and its version records, and returns them so the caller can delete their artifacts. */
  delete(idOrName: string): Promise<DeletedModel>;
  /**
   * Allocates the model's next version number atomically, so concurrent completions get distinct ones.
   * A job adds one version: adding its version again returns the one it added.
   */
  addVersion(modelIdOrName: string, input: AddVersionInput): Promise<VersionRecord>;
  getVersion(modelIdOrName: string, version: number): Promise<VersionRecord>;
  /** Oldest first. */
  listVersions(modelIdOrName: string): Promise<VersionRecord[]>;
  latestVersion(modelIdOrName: string): Promise<VersionRecord | null>;
}

const ModelFieldsSchema = ModelRecordSchema.pick({ name: true, definition: true, input_shape: true, summary: true });
const CreateModelSchema = ModelFieldsSchema.extend({ tenant: ModelRecordSchema.shape.tenant }).partial({ input_shape: true, summary: true });
const ModelPatchSchema = ModelFieldsSchema.partial();
const AddVersionSchema = VersionRecordSchema.omit({ model_id: true, version: true, created_at: true });
/** A model's versions hash: version number → the version's JSON. */
const VersionsSchema = z.record(z.string(), VersionRecordSchema);

/**
 * The ModelStore in Redis: a hash per model, and a hash of its versions (number → JSON).
 * Every change is published on the model events channel once it is stored.
 */
export class RedisModelStore implements ModelStore {
  private readonly keys: RegistryKeys;
  private readonly records: HashRecords<typeof ModelRecordSchema>;
  private readonly versions: HashRecords<typeof VersionsSchema>;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.keys = registryKeys(prefix);
    this.records = new HashRecords(redis, ModelRecordSchema);
    this.versions = new HashRecords(redis, VersionsSchema);
  }

  async create(input: CreateModelInput): Promise<ModelRecord> {
    const { name, definition, input_shape = null, summary = null, tenant } = CreateModelSchema.parse(input);
    const now = timestamp();
    const record = this.records.normalize({ id: newId('model'), name, definition, input_shape, summary, created_at: now, updated_at: now, latest_version: 0, tenant });
    const k = this.keys;
    const created = await runScript(this.redis, 'createNamed', [k.model(record.id), k.modelNames, k.models, k.modelSeq], [record.name, record.id, ...this.records.fields(record)]);
    if (created === 0) throw new ConflictError(`a model named '${record.name}' already exists`);
    await publishModelEvent(this.redis, this.prefix, { type: 'model', model: record });
    return record;
  }

  async find(idOrName: string): Promise<ModelRecord | null> {
    const id = await resolveIdOrName(this.redis, idOrName, this.keys.model, this.keys.modelNames);
    return id ? this.records.read(this.keys.model(id)) : null;
  }

  async get(idOrName: string): Promise<ModelRecord> {
    return (await this.find(idOrName)) ?? notFound('model', idOrName);
  }

  async list(): Promise<ModelRecord[]> {
    const ids = await this.redis.zrange(this.keys.models, 0, '-1');
    return this.records.readMany(ids.map(this.keys.model));
  }

  async update(idOrName: string, patch: ModelPatch): Promise<ModelRecord> {
    const id = await this.modelId(idOrName);
    const fields = ModelPatchSchema.parse(asJson(patch));
    const reply = await runScript(this.redis, 'updateNamed', [this.keys.model(id), this.keys.modelNames], [id, fields.name ?? '', ...this.records.fields({ ...fields, updated_at: timestamp() })]);
    if (reply === -1) notFound('model', idOrName);
    if (reply === 0) throw new ConflictError(`a model named '${fields.name ?? ''}' already exists`);
    const model = this.records.decode(reply);
    await publishModelEvent(this.redis, this.prefix, { type: 'model', model });
    return model;
  }

  async delete(idOrName: string): Promise<DeletedModel> {
    const id = await this.modelId(idOrName);
    const k = this.keys;
    const reply = await runScript(this.redis, 'deleteNamed', [k.model(id), k.modelNames, k.models, k.versions(id)], [id]);
    if (reply === null) notFound('model', idOrName);
    const [model, versions] = list(reply);
    await publishModelEvent(this.redis, this.prefix, { type: 'deleted', model_id: id });
    return { model: this.records.decode(model), versions: sortVersions(Object.values(this.versions.decode(versions))) };
  }

  async addVersion(modelIdOrName: string, input: AddVersionInput): Promise<VersionRecord> {
    const modelId = await this.modelId(modelIdOrName);
    const created_at = timestamp();
    const facts = AddVersionSchema.parse(asJson(input));
    // The script splices the number it allocates between these two halves of the record's JSON.
    const head = `{"model_id":${JSON.stringify(modelId)},"version":`;
    const tail = `,${JSON.stringify({ created_at, ...facts }).slice(1)}`;
    const stored = await runScript(this.redis, 'addVersion', [this.keys.model(modelId), this.keys.versions(modelId)], [head, tail, JSON.stringify(created_at), facts.job_id, this.keys.modelEvents]);
    if (typeof stored !== 'string') return notFound('model', modelIdOrName);
    return VersionRecordSchema.parse(JSON.parse(stored));
  }

  async getVersion(modelIdOrName: string, version: number): Promise<VersionRecord> {
    const modelId = await this.modelId(modelIdOrName);
    const stored = Number.isInteger(version) ? await this.redis.hget(this.keys.versions(modelId), String(version)) : null;
    if (stored === null) throw new NotFoundError(`model '${modelIdOrName}' has no version ${version}`);
    return VersionRecordSchema.parse(JSON.parse(stored));
  }

  async listVersions(modelIdOrName: string): Promise<VersionRecord[]> {
    const modelId = await this.modelId(modelIdOrName);
    return sortVersions((await this.redis.hvals(this.keys.versions(modelId))).map((json) => VersionRecordSchema.parse(JSON.parse(json))));
  }

  async latestVersion(modelIdOrName: string): Promise<VersionRecord | null> {
    const model = await this.get(modelIdOrName);
    if (model.latest_version === 0) return null;
    const stored = await this.redis.hget(this.keys.versions(model.id), String(model.latest_version));
    return stored === null ? null : VersionRecordSchema.parse(JSON.parse(stored));
  }

  private async modelId(idOrName: string): Promise<string> {
    return (await resolveIdOrName(this.redis, idOrName, this.keys.model, this.keys.modelNames)) ?? notFound('model', idOrName);
  }
}

function sortVersions(versions: VersionRecord[]): VersionRecord[] {
  return versions.sort((a, b) => a.version - b.version);
}
