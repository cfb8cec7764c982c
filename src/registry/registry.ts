import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { ConflictError, NotFoundError } from '../errors.js';
import { isId, newId } from './ids.js';
import { registryKeys, type RegistryKeys } from './keys.js';
import {
  ACTIVE_JOB_STATUSES,
  DatasetRecordSchema,
  JobEventSchema,
  JOB_STATUSES,
  JobRecordSchema,
  JobStatusSchema,
  ModelRecordSchema,
  VersionRecordSchema,
  type DatasetRecord,
  type History,
  type JobEvent,
  type JobRecord,
  type JobStatus,
  type ModelRecord,
  type VersionRecord,
} from './records.js';
import * as scripts from './scripts.js';
import { ChannelSubscriptions } from './subscriptions.js';

export interface RegistryOptions {
  /** Used as given and never closed by the registry. */
  redis: Redis;
  /** Every key and channel lives under `${prefix}:`. */
  prefix: string;
  /** Where a failing event handler or a subscriber connection error goes; a process warning by default. */
  onError?: (error: unknown) => void;
}

export type CreateModelInput = Pick<ModelRecord, 'name' | 'definition'> & Partial<Pick<ModelRecord, 'input_shape' | 'summary'>>;
export type ModelPatch = Partial<Pick<ModelRecord, 'name' | 'definition' | 'input_shape' | 'summary'>>;

/** A trained version's facts; the registry adds model_id, the version number and created_at. */
export type AddVersionInput = Omit<VersionRecord, 'model_id' | 'version' | 'created_at'>;

/** `id` may be chosen beforehand with `newId('dataset')`, to name the artifact before the record exists. */
export type CreateDatasetInput = Omit<DatasetRecord, 'id' | 'created_at'> & { id?: string };

export type CreateJobInput = Pick<JobRecord, 'model_id' | 'model_name' | 'dataset' | 'fit'> &
  Partial<Pick<JobRecord, 'preprocessing' | 'early_stopping'>> & {
    /** From `newId('job')`, when the caller names things after the job before creating it. */
    id?: string;
    /** `progress.epochs` until the job starts; by default `fit.epochs`, else Keras's default of 1. */
    epochs?: number;
  };

export type JobPatch = Partial<
  Pick<JobRecord, 'status' | 'progress' | 'history' | 'version' | 'error' | 'backend' | 'cancel_requested' | 'attempts' | 'started_at' | 'finished_at'>
>;

export interface UpdateJobOptions {
  /** Apply the patch only while the job is in one of these; ConflictError otherwise. */
  ifStatus?: readonly JobStatus[];
}

export interface DeletedModel {
  model: ModelRecord;
  /** Its versions, whose artifacts the caller deletes. */
  versions: VersionRecord[];
}

const CreateModelSchema = ModelRecordSchema.pick({ name: true, definition: true, input_shape: true, summary: true }).partial({
  input_shape: true,
  summary: true,
});
const ModelPatchSchema = CreateModelSchema.partial();
const AddVersionSchema = VersionRecordSchema.omit({ model_id: true, version: true, created_at: true });
const JobPatchSchema = JobRecordSchema.pick({
  status: true,
  progress: true,
  history: true,
  version: true,
  error: true,
  backend: true,
  cancel_requested: true,
  attempts: true,
  started_at: true,
  finished_at: true,
}).partial();

/**
 * Models, their trained versions, datasets and training jobs, in Redis.
 *
 * Each record is a hash with one JSON value per field. Writes that must see
 * the current state (a unique name, the next version number, a status
 * condition) are Lua scripts, which Redis runs without interleaving. A job's
 * patch sets only the fields it names, so the worker's progress and the
 * API's cancel request never overwrite each other, with no WATCH retry loop.
 * A job's history is a list with one entry per epoch, appended with RPUSH:
 * an epoch costs one small write however long the job has run.
 */
export class Registry {
  private readonly redis: Redis;
  private readonly keys: RegistryKeys;
  private readonly subscriptions: ChannelSubscriptions;

  constructor(options: RegistryOptions) {
    this.redis = options.redis;
    this.keys = registryKeys(options.prefix);
    const onError = options.onError ?? ((error: unknown) => process.emitWarning(error instanceof Error ? error : String(error)));
    this.subscriptions = new ChannelSubscriptions(options.redis, onError);
  }

  // Models

  async createModel(input: CreateModelInput): Promise<ModelRecord> {
    const { name, definition, input_shape = null, summary = null } = CreateModelSchema.parse(input);
    const now = timestamp();
    const record = ModelRecordSchema.parse(
      asJson({ id: newId('model'), name, definition, input_shape, summary, created_at: now, updated_at: now, latest_version: 0 }),
    );
    const k = this.keys;
    const created = await scripts.runScript(
      this.redis,
      scripts.createNamed,
      [k.model(record.id), k.modelNames, k.models, k.modelSeq],
      [record.name, record.id, ...toFields(record)],
    );
    if (created === 0) throw new ConflictError(`a model named '${record.name}' already exists`);
    return record;
  }

  async findModel(idOrName: string): Promise<ModelRecord | null> {
    const id = await this.resolve(idOrName, this.keys.model, this.keys.modelNames);
    return id ? this.readHash(this.keys.model(id), ModelRecordSchema) : null;
  }

  async getModel(idOrName: string): Promise<ModelRecord> {
    return (await this.findModel(idOrName)) ?? notFound('model', idOrName);
  }

  /** Oldest first. */
  async listModels(): Promise<ModelRecord[]> {
    const ids = await this.redis.zrange(this.keys.models, 0, '-1');
    return this.readHashes(ids.map(this.keys.model), ModelRecordSchema);
  }

  async updateModel(idOrName: string, patch: ModelPatch): Promise<ModelRecord> {
    const id = await this.modelId(idOrName);
    const fields = ModelPatchSchema.parse(asJson(patch));
    const reply = await scripts.runScript(
      this.redis,
      scripts.updateNamed,
      [this.keys.model(id), this.keys.modelNames],
      [id, fields.name ?? '', ...toFields({ ...fields, updated_at: timestamp() })],
    );
    if (reply === -1) notFound('model', idOrName);
    if (reply === 0) throw new ConflictError(`a model named '${fields.name ?? ''}' already exists`);
    return ModelRecordSchema.parse(decodeFields(pairs(reply)));
  }

  /** Deletes the model and its version records, and returns them so the caller can delete their artifacts. */
  async deleteModel(idOrName: string): Promise<DeletedModel> {
    const id = await this.modelId(idOrName);
    const k = this.keys;
    const reply = await scripts.runScript(this.redis, scripts.deleteNamed, [k.model(id), k.modelNames, k.models, k.versions(id)], [id]);
    if (reply === null) notFound('model', idOrName);
    const [model, versions] = list(reply);
    return {
      model: ModelRecordSchema.parse(decodeFields(pairs(model))),
      versions: parseVersions(Object.values(pairs(versions))),
    };
  }

  // Versions

  /** Allocates the model's next version number atomically, so concurrent completions get distinct ones. */
  async addVersion(modelIdOrName: string, input: AddVersionInput): Promise<VersionRecord> {
    const modelId = await this.modelId(modelIdOrName);
    const created_at = timestamp();
    const facts = AddVersionSchema.parse(asJson(input));
    // The script splices the number it allocates between these two halves of the record's JSON.
    const head = `{"model_id":${JSON.stringify(modelId)},"version":`;
    const tail = `,${JSON.stringify({ created_at, ...facts }).slice(1)}`;
    const version = await scripts.runScript(
      this.redis,
      scripts.addVersion,
      [this.keys.model(modelId), this.keys.versions(modelId)],
      [head, tail, JSON.stringify(created_at)],
    );
    if (typeof version !== 'number' || version === 0) return notFound('model', modelIdOrName);
    return VersionRecordSchema.parse({ model_id: modelId, version, created_at, ...facts });
  }

  async getVersion(modelIdOrName: string, version: number): Promise<VersionRecord> {
    const modelId = await this.modelId(modelIdOrName);
    const stored = Number.isInteger(version) ? await this.redis.hget(this.keys.versions(modelId), String(version)) : null;
    if (stored === null) throw new NotFoundError(`model '${modelIdOrName}' has no version ${version}`);
    return VersionRecordSchema.parse(JSON.parse(stored));
  }

  /** Oldest first. */
  async listVersions(modelIdOrName: string): Promise<VersionRecord[]> {
    const modelId = await this.modelId(modelIdOrName);
    return parseVersions(await this.redis.hvals(this.keys.versions(modelId)));
  }

  async latestVersion(modelIdOrName: string): Promise<VersionRecord | null> {
    const model = await this.getModel(modelIdOrName);
    if (model.latest_version === 0) return null;
    const stored = await this.redis.hget(this.keys.versions(model.id), String(model.latest_version));
    return stored === null ? null : VersionRecordSchema.parse(JSON.parse(stored));
  }

  // Datasets

  async createDataset(input: CreateDatasetInput): Promise<DatasetRecord> {
    const { id = newId('dataset'), ...facts } = input;
    if (!isId('dataset', id)) throw new TypeError(`'${id}' is not a dataset id from newId('dataset')`);
    const record = DatasetRecordSchema.parse(asJson({ ...facts, id, created_at: timestamp() }));
    const k = this.keys;
    const created = await scripts.runScript(
      this.redis,
      scripts.createNamed,
      [k.dataset(record.id), k.datasetNames, k.datasets, k.datasetSeq],
      [record.name, record.id, ...toFields(record)],
    );
    if (created === 0) throw new ConflictError(`a dataset named '${record.name}' already exists`);
    return record;
  }

  async findDataset(idOrName: string): Promise<DatasetRecord | null> {
    const id = await this.resolve(idOrName, this.keys.dataset, this.keys.datasetNames);
    return id ? this.readHash(this.keys.dataset(id), DatasetRecordSchema) : null;
  }

  async getDataset(idOrName: string): Promise<DatasetRecord> {
    return (await this.findDataset(idOrName)) ?? notFound('dataset', idOrName);
  }

  /** Oldest first. */
  async listDatasets(): Promise<DatasetRecord[]> {
    const ids = await this.redis.zrange(this.keys.datasets, 0, '-1');
    return this.readHashes(ids.map(this.keys.dataset), DatasetRecordSchema);
  }

  /**
   * Deletes the record and returns it, so the caller can delete its artifact.
   * ConflictError while a queued or running job refers to it. A job created
   * between that check and the delete fails when it loads the data.
   */
  async deleteDataset(idOrName: string): Promise<DatasetRecord> {
    const dataset = await this.getDataset(idOrName);
    const users = await this.activeJobsUsingDataset(dataset.id);
    if (users.length > 0) {
      throw new ConflictError(`dataset '${dataset.name}' is in use by ${users.length === 1 ? 'job' : 'jobs'} ${users.map((j) => j.id).join(', ')}`);
    }
    const k = this.keys;
    const reply = await scripts.runScript(this.redis, scripts.deleteNamed, [k.dataset(dataset.id), k.datasetNames, k.datasets], [dataset.id]);
    if (reply === null) notFound('dataset', idOrName);
    return DatasetRecordSchema.parse(decodeFields(pairs(list(reply)[0])));
  }

  // Jobs

  async createJob(input: CreateJobInput): Promise<JobRecord> {
    const { id = newId('job') } = input;
    if (!isId('job', id)) throw new TypeError(`'${id}' is not a job id from newId('job')`);
    const epochs = input.epochs ?? (typeof input.fit.epochs === 'number' ? input.fit.epochs : 1);
    const now = timestamp();
    const record = JobRecordSchema.parse(
      asJson({
        id,
        model_id: input.model_id,
        model_name: input.model_name,
        dataset: input.dataset,
        fit: input.fit,
        preprocessing: input.preprocessing ?? null,
        early_stopping: input.early_stopping ?? null,
        status: 'queued',
        progress: { epoch: 0, epochs },
        history: {},
        version: null,
        error: null,
        backend: null,
        cancel_requested: false,
        attempts: 0,
        created_at: now,
        started_at: null,
        finished_at: null,
        updated_at: now,
      }),
    );
    const { history: _history, ...fields } = record;
    const k = this.keys;
    const created = await scripts.runScript(
      this.redis,
      scripts.createJob,
      [k.job(record.id), k.epochs(record.id), k.jobs, k.activeJobs, k.modelJobs(record.model_id), k.jobSeq],
      [record.id, ...toFields(fields)],
    );
    if (created === 0) throw new ConflictError(`job ${record.id} already exists`);
    return record;
  }

  async findJob(id: string): Promise<JobRecord | null> {
    return (await this.readJobs([id]))[0] ?? null;
  }

  async getJob(id: string): Promise<JobRecord> {
    return (await this.findJob(id)) ?? notFound('job', id);
  }

  /**
   * Sets the fields in `patch` (and updated_at) and returns the whole record
   * as it is right after. `history`, when given, replaces the history (a retry
   * starting over); `ifStatus` makes it a compare-and-set on the status, such
   * as a worker's `queued` → `running` racing a cancel.
   */
  async updateJob(id: string, patch: JobPatch, options: UpdateJobOptions = {}): Promise<JobRecord> {
    const { history, ...fields } = JobPatchSchema.parse(asJson(patch));
    const flat = toFields({ ...fields, updated_at: timestamp() });
    const k = this.keys;
    const reply = await scripts.runScript(
      this.redis,
      scripts.updateJob,
      [k.job(id), k.epochs(id), k.jobs, k.activeJobs],
      [
        id,
        (options.ifStatus ?? []).map((s) => JSON.stringify(s)).join(' '),
        history ? '1' : '0',
        flat.length,
        ...flat,
        ...(history ? historyToEpochs(history) : []),
      ],
    );
    if (reply === -1) notFound('job', id);
    const [applied, fieldsOrStatus, epochs] = list(reply);
    if (applied === 0) {
      const status = typeof fieldsOrStatus === 'string' ? JSON.parse(fieldsOrStatus) : fieldsOrStatus;
      throw new ConflictError(`job ${id} is ${String(status)}, not ${(options.ifStatus ?? []).join(' or ')}`);
    }
    return parseJob(pairs(fieldsOrStatus), strings(epochs));
  }

  /**
   * Records one finished epoch: appends each value in `logs` to the history
   * under its key, and sets progress to `{epoch, epochs}`. `epoch` counts the
   * epochs finished (1 after the first; tfjs's 0-based onEpochEnd index + 1).
   * Returns cancel_requested, so a worker notices a cancel even if it missed
   * the pub/sub message.
   */
  async appendEpoch(id: string, epoch: number, logs: Record<string, number>, epochs: number): Promise<{ cancel_requested: boolean }> {
    const progress = JobRecordSchema.shape.progress.parse({ epoch, epochs });
    const k = this.keys;
    const reply = await scripts.runScript(
      this.redis,
      scripts.appendEpoch,
      [k.job(id), k.epochs(id)],
      [JSON.stringify(logs), JSON.stringify(progress), JSON.stringify(timestamp())],
    );
    if (reply === -1) notFound('job', id);
    return { cancel_requested: reply === 'true' };
  }

  /** Empties the history and sets progress to 0 of `epochs`: an attempt starting over. */
  resetJobProgress(id: string, epochs: number): Promise<JobRecord> {
    return this.updateJob(id, { history: {}, progress: { epoch: 0, epochs } });
  }

  /** Newest first. `model` is a model's id or name. */
  async listJobs(filter: { status?: JobStatus; model?: string } = {}): Promise<JobRecord[]> {
    const k = this.keys;
    let index = k.jobs;
    if (filter.model !== undefined) {
      const model = await this.findModel(filter.model);
      // A deleted model's jobs remain, listed under its id.
      index = k.modelJobs(model?.id ?? filter.model);
    } else if (filter.status && ACTIVE_JOB_STATUSES.includes(filter.status)) {
      index = k.activeJobs;
    }
    const jobs = await this.readJobs(await this.redis.zrevrange(index, 0, -1));
    return filter.status ? jobs.filter((j) => j.status === filter.status) : jobs;
  }

  /** Queued or running jobs whose dataset reference is `{id: datasetId}`. */
  async activeJobsUsingDataset(datasetId: string): Promise<JobRecord[]> {
    const jobs = await this.readJobs(await this.redis.zrevrange(this.keys.activeJobs, 0, -1));
    return jobs.filter((j) => ACTIVE_JOB_STATUSES.includes(j.status) && j.dataset.id === datasetId);
  }

  /** How many jobs are in each status, for a metrics scrape: one pipelined HGET per job, no history read. */
  async countJobsByStatus(): Promise<Record<JobStatus, number>> {
    const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as Record<JobStatus, number>;
    const ids = await this.redis.zrange(this.keys.jobs, 0, '-1');
    if (ids.length === 0) return counts;
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.keys.job(id), 'status');
    for (const [error, stored] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      const status = JobStatusSchema.safeParse(typeof stored === 'string' ? JSON.parse(stored) : null);
      if (status.success) counts[status.data] += 1;
    }
    return counts;
  }

  /**
   * Marks a queued or running job for cancellation and tells the workers
   * (publishCancel); ConflictError when it has already finished. Setting the
   * status is left to whoever stops it: the worker, or the API for a job
   * still queued (`updateJob(id, {status: 'cancelled'}, {ifStatus: ['queued']})`).
   */
  async requestCancel(id: string): Promise<JobRecord> {
    let job: JobRecord;
    try {
      job = await this.updateJob(id, { cancel_requested: true }, { ifStatus: ACTIVE_JOB_STATUSES });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const { status } = await this.getJob(id);
      throw new ConflictError(`job ${id} has already finished (${status}); only queued or running jobs can be cancelled`);
    }
    await this.publishCancel(id);
    return job;
  }

  // Events

  async publishJobEvent(jobId: string, event: JobEvent): Promise<void> {
    await this.redis.publish(this.keys.jobEvents(jobId), JSON.stringify(JobEventSchema.parse(asJson(event))));
  }

  /** Events published from when this resolves, in publish order; the result unsubscribes. */
  subscribeJobEvents(jobId: string, handler: (event: JobEvent) => void): Promise<() => Promise<void>> {
    return this.subscriptions.listen(this.keys.jobEvents(jobId), (message) => handler(JobEventSchema.parse(JSON.parse(message))));
  }

  async publishCancel(jobId: string): Promise<void> {
    await this.redis.publish(this.keys.cancels, jobId);
  }

  /** Every cancel request, for every job: a worker checks whether the job is one of its own. */
  onCancel(handler: (jobId: string) => void): Promise<() => Promise<void>> {
    return this.subscriptions.listen(this.keys.cancels, handler);
  }

  /** Closes the subscriber connection the registry opened; the one passed in stays open. */
  async close(): Promise<void> {
    await this.subscriptions.close();
  }

  // Reading

  private async modelId(idOrName: string): Promise<string> {
    return (await this.resolve(idOrName, this.keys.model, this.keys.modelNames)) ?? notFound('model', idOrName);
  }

  /** An id names a record before a name does, so a record named like another's id stays reachable by its own id. */
  private async resolve(idOrName: string, recordKey: (id: string) => string, namesKey: string): Promise<string | null> {
    const [exists, named] = await Promise.all([this.redis.exists(recordKey(idOrName)), this.redis.hget(namesKey, idOrName)]);
    return exists ? idOrName : named;
  }

  private async readHash<S extends z.ZodType>(key: string, schema: S): Promise<z.output<S> | null> {
    const fields = await this.redis.hgetall(key);
    return Object.keys(fields).length ? schema.parse(decodeFields(fields)) : null;
  }

  private async readHashes<S extends z.ZodType>(keys: string[], schema: S): Promise<z.output<S>[]> {
    if (keys.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.hgetall(key);
    const out: z.output<S>[] = [];
    for (const [error, fields] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      const decoded = pairsOrObject(fields);
      if (Object.keys(decoded).length) out.push(schema.parse(decodeFields(decoded)));
    }
    return out;
  }

  /** The jobs that still exist among `ids`, in that order; each read in one MULTI, so fields and history agree. */
  private async readJobs(ids: string[]): Promise<JobRecord[]> {
    if (ids.length === 0) return [];
    const multi = this.redis.multi();
    for (const id of ids) multi.hgetall(this.keys.job(id)).lrange(this.keys.epochs(id), 0, -1);
    const replies = (await multi.exec()) ?? [];
    const out: JobRecord[] = [];
    for (let i = 0; i < ids.length; i++) {
      const [fieldsError, fields] = replies[2 * i] ?? [];
      const [epochsError, epochs] = replies[2 * i + 1] ?? [];
      if (fieldsError || epochsError) throw fieldsError ?? epochsError;
      const decoded = pairsOrObject(fields);
      if (Object.keys(decoded).length) out.push(parseJob(decoded, strings(epochs)));
    }
    return out;
  }
}

function timestamp(): string {
  return new Date().toISOString();
}

function notFound(kind: string, idOrName: string): never {
  throw new NotFoundError(`${kind} '${idOrName}' not found`);
}

/** The value as storing it keeps it: undefined fields gone, NaN and ±Infinity null. */
function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

function toFields(record: object): string[] {
  return Object.entries(record).flatMap(([field, value]) => (value === undefined ? [] : [field, JSON.stringify(value)]));
}

function decodeFields(fields: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([field, value]) => [field, JSON.parse(value)]));
}

function list(reply: unknown): unknown[] {
  if (!Array.isArray(reply)) throw new TypeError(`unexpected reply from Redis: ${String(reply)}`);
  return reply;
}

function strings(reply: unknown): string[] {
  return list(reply).map((item) => {
    if (typeof item !== 'string') throw new TypeError(`unexpected reply from Redis: ${String(item)}`);
    return item;
  });
}

/** A flat [field, value, ...] reply, as HGETALL gives inside a script, as an object. */
function pairs(reply: unknown): Record<string, string> {
  const flat = strings(reply);
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string;
  return out;
}

/** HGETALL's reply in a pipeline: ioredis turns it into an object, or leaves the flat list. */
function pairsOrObject(reply: unknown): Record<string, string> {
  if (Array.isArray(reply)) return pairs(reply);
  if (reply && typeof reply === 'object') return Object.fromEntries(Object.entries(reply).map(([k, v]) => [k, String(v)]));
  throw new TypeError(`unexpected reply from Redis: ${String(reply)}`);
}

function parseVersions(stored: string[]): VersionRecord[] {
  return stored.map((json) => VersionRecordSchema.parse(JSON.parse(json))).sort((a, b) => a.version - b.version);
}

function parseJob(fields: Record<string, string>, epochs: string[]): JobRecord {
  return JobRecordSchema.parse({ ...decodeFields(fields), history: epochsToHistory(epochs) });
}

function epochsToHistory(epochs: string[]): Record<string, unknown[]> {
  const history: Record<string, unknown[]> = {};
  for (const json of epochs) {
    const logs: unknown = JSON.parse(json);
    if (!logs || typeof logs !== 'object') continue;
    for (const [key, value] of Object.entries(logs)) (history[key] ??= []).push(value);
  }
  return history;
}

/** A whole history as one logs entry per epoch, the form appendEpoch stores. */
function historyToEpochs(history: History): string[] {
  const length = Math.max(0, ...Object.values(history).map((values) => values.length));
  return Array.from({ length }, (_, i) => {
    const logs: Record<string, number | null> = {};
    for (const [key, values] of Object.entries(history)) {
      const value = values[i];
      if (value !== undefined) logs[key] = value;
    }
    return JSON.stringify(logs);
  });
}
