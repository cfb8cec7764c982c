import type { Redis } from 'ioredis';
import { ConflictError } from '../errors.js';
import { isId, newId } from './ids.js';
import { registryKeys, type RegistryKeys } from './keys.js';
import { DatasetRecordSchema, type DatasetRecord } from './records.js';
import { HashRecords, list, notFound, resolveIdOrName, timestamp } from './redis-record.js';
import { runScript } from './scripts.js';

/** `id` may be chosen beforehand with `newId('dataset')`, to name the artifact before the record exists; no tenant: none. */
export type CreateDatasetInput = Omit<DatasetRecord, 'id' | 'created_at' | 'tenant'> & { id?: string; tenant?: string | null };

/** Who may still read a dataset: the JobStore's active jobs. */
export interface DatasetUsers {
  activeUsingDataset(datasetId: string): Promise<{ id: string }[]>;
}

/** Uploaded datasets' records, by id or unique name; their arrays are in the artifact store. */
export interface DatasetStore {
  create(input: CreateDatasetInput): Promise<DatasetRecord>;
  find(idOrName: string): Promise<DatasetRecord | null>;
  get(idOrName: string): Promise<DatasetRecord>;
  /** Oldest first. */
  list(): Promise<DatasetRecord[]>;
  /**
   * Deletes the record and returns it, so the caller can delete its artifact.
   * ConflictError while a queued or running job refers to it. A job created
   * between that check and the delete fails when it loads the data.
   */
  delete(idOrName: string): Promise<DatasetRecord>;
}

export class RedisDatasetStore implements DatasetStore {
  private readonly keys: RegistryKeys;
  private readonly records: HashRecords<typeof DatasetRecordSchema>;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly users: DatasetUsers,
  ) {
    this.keys = registryKeys(prefix);
    this.records = new HashRecords(redis, DatasetRecordSchema);
  }

  async create(input: CreateDatasetInput): Promise<DatasetRecord> {
    const { id = newId('dataset'), ...facts } = input;
    if (!isId('dataset', id)) throw new TypeError(`'${id}' is not a dataset id from newId('dataset')`);
    const record = this.records.normalize({ ...facts, id, created_at: timestamp() });
    const k = this.keys;
    const created = await runScript(this.redis, 'createNamed', [k.dataset(id), k.datasetNames, k.datasets, k.datasetSeq], [record.name, id, ...this.records.fields(record)]);
    if (created === 0) throw new ConflictError(`a dataset named '${record.name}' already exists`);
    return record;
  }

  async find(idOrName: string): Promise<DatasetRecord | null> {
    const id = await resolveIdOrName(this.redis, idOrName, this.keys.dataset, this.keys.datasetNames);
    return id ? this.records.read(this.keys.dataset(id)) : null;
  }

  async get(idOrName: string): Promise<DatasetRecord> {
    return (await this.find(idOrName)) ?? notFound('dataset', idOrName);
  }

  async list(): Promise<DatasetRecord[]> {
    const ids = await this.redis.zrange(this.keys.datasets, 0, '-1');
    return this.records.readMany(ids.map(this.keys.dataset));
  }

  async delete(idOrName: string): Promise<DatasetRecord> {
    const dataset = await this.get(idOrName);
    const users = await this.users.activeUsingDataset(dataset.id);
    if (users.length > 0) {
      throw new ConflictError(`dataset '${dataset.name}' is in use by ${users.length === 1 ? 'job' : 'jobs'} ${users.map((j) => j.id).join(', ')}`);
    }
    const k = this.keys;
    const reply = await runScript(this.redis, 'deleteNamed', [k.dataset(dataset.id), k.datasetNames, k.datasets, k.none], [dataset.id]);
    if (reply === null) notFound('dataset', idOrName);
    return this.records.decode(list(reply)[0]);
  }
}
