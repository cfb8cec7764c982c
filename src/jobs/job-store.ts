import type { Redis } from 'ioredis';
import { ConflictError } from '../errors.js';
import { isId, newId } from '../registry/ids.js';
import { registryKeys, type RegistryKeys } from '../registry/keys.js';
import type { BackendRecord } from '../registry/records.js';
import { HashRecords, decodeFields, list, notFound, pairsOrObject, strings, timestamp } from '../registry/redis-record.js';
import { runScript } from '../registry/scripts.js';
import type { JobEvents } from './events.js';
import { FinishedJobsIndex } from './finished-index.js';
import { JobProgressSchema, JobRecordSchema, jobStatusEvent, type JobEngine, type JobError, type JobProgress, type JobRecord } from './record.js';
import { ACTIVE_JOB_STATUSES, JOB_STATUSES, JobStatusSchema, isTerminal, sourcesOf, type JobStatus } from './status.js';

export interface JobFilter {
  status?: JobStatus | undefined;
  /** A model's id. */
  model?: string | undefined;
  /** Only this tenant's jobs; null or absent: every job. */
  tenant?: string | null | undefined;
}

export interface JobPage {
  jobs: JobRecord[];
  /** Where the next page starts, or null when this one is the last. */
  next: number | null;
}

export type CreateJobInput = Pick<JobRecord, 'model_id' | 'model_name' | 'dataset' | 'fit'> &
  Partial<Pick<JobRecord, 'preprocessing' | 'early_stopping' | 'tenant'>> & {
    /** From `newId('job')`, when the caller names things after the job before creating it. */
    id?: string;
  };

/**
 * Training jobs, whose status changes only through the named transitions
 * below. Each transition is a compare-and-set on the status, allowed from the
 * statuses that `TRANSITIONS` lists, and publishes the job's `status` event:
 * a ConflictError means another process moved the job first.
 */
export interface JobStore {
  create(input: CreateJobInput): Promise<JobRecord>;
  find(id: string): Promise<JobRecord | null>;
  get(id: string): Promise<JobRecord>;
  /** Newest first. `model` is a model's id. */
  list(filter?: JobFilter): Promise<JobRecord[]>;
  /**
   * At most `limit` jobs, newest first, created before the position `after`
   * (a `next` of an earlier page); `next` is null on the last page. Jobs
   * created meanwhile are newer than any position, so they never shift a walk.
   */
  page(filter: JobFilter, at: { limit: number; after?: number | undefined }): Promise<JobPage>;
  /** Queued or running jobs that train on the stored dataset `datasetId`. */
  activeUsingDataset(datasetId: string): Promise<JobRecord[]>;
  countByStatus(): Promise<Record<JobStatus, number>>;
  /** The ids of the finished jobs that finished before `cutoff`, oldest first. */
  finishedBefore(cutoff: Date): Promise<string[]>;
  /** Removes a finished job's record, epochs and index entries (not its files); ConflictError while it is active. */
  delete(id: string): Promise<void>;

  /**
   * → running, as a new attempt: its history keeps the first `fromEpoch` epochs (those of the checkpoint
   * it resumes from; none by default) and drops the rest, and progress is `fromEpoch` of `fit.epochs`.
   */
  start(id: string, backend: BackendRecord, fromEpoch?: number): Promise<JobRecord>;
  /** Records which engine a running job trains on, and why not the graph when it fell back. */
  setEngine(id: string, engine: JobEngine, note: string | null): Promise<JobRecord>;
  /**
   * Records one finished epoch of a running job (`progress.epoch` counts the
   * epochs finished, from 1) and publishes it; an epoch already recorded is not added again. Returns
   * cancel_requested, so a worker notices a cancel even if it missed the pub/sub message.
   */
  appendEpoch(id: string, progress: JobProgress, logs: Record<string, number>): Promise<{ cancel_requested: boolean }>;
  /** running → queued: a worker shutting down gives the job back for another to start afresh. */
  handBack(id: string): Promise<JobRecord>;
  complete(id: string, version: number): Promise<JobRecord>;
  fail(id: string, error: JobError): Promise<JobRecord>;
  /** → cancelled by the worker that stopped it (or found it cancelled before starting). */
  cancel(id: string): Promise<JobRecord>;
  /** queued → cancelled, by the API once it has taken the job off the queue. */
  cancelQueued(id: string): Promise<JobRecord>;
  /** Marks an active job for cancellation and tells the workers, once; ConflictError when it has finished. */
  requestCancel(id: string): Promise<JobRecord>;
}

/** Ids whose status one round trip checks, while a page with a status filter looks for its jobs. */
const PAGE_SCAN_BATCH = 200;

/** The JobStore in Redis: a hash per job, its history a list of one logs entry per epoch (an epoch is one RPUSH). */
export class RedisJobStore implements JobStore {
  private readonly keys: RegistryKeys;
  private readonly records: HashRecords<typeof JobRecordSchema>;
  private readonly finished: FinishedJobsIndex;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly events: JobEvents,
  ) {
    this.keys = registryKeys(prefix);
    this.records = new HashRecords(redis, JobRecordSchema);
    this.finished = new FinishedJobsIndex(redis, this.keys);
  }

  async create(input: CreateJobInput): Promise<JobRecord> {
    const { id = newId('job') } = input;
    if (!isId('job', id)) throw new TypeError(`'${id}' is not a job id from newId('job')`);
    const now = timestamp();
    const record = this.records.normalize({
      id,
      model_id: input.model_id,
      model_name: input.model_name,
      dataset: input.dataset,
      fit: input.fit,
      preprocessing: input.preprocessing ?? null,
      early_stopping: input.early_stopping ?? null,
      status: 'queued',
      progress: { epoch: 0, epochs: input.fit.epochs },
      history: {},
      version: null,
      error: null,
      backend: null,
      engine: null,
      engine_note: null,
      cancel_requested: false,
      attempts: 0,
      created_at: now,
      started_at: null,
      finished_at: null,
      updated_at: now,
      tenant: input.tenant ?? null,
    });
    const { history: _history, ...fields } = record;
    const k = this.keys;
    const created = await runScript(
      this.redis,
      'createJob',
      [k.job(id), k.jobs, k.activeJobs, k.modelJobs(record.model_id), k.jobSeq, this.tenantIndex(record.tenant)],
      [id, ...this.records.fields(fields)],
    );
    if (created === 0) throw new ConflictError(`job ${id} already exists`);
    return record;
  }

  async find(id: string): Promise<JobRecord | null> {
    return (await this.readJobs([id]))[0] ?? null;
  }

  async get(id: string): Promise<JobRecord> {
    return (await this.find(id)) ?? notFound('job', id);
  }

  async list(filter: JobFilter = {}): Promise<JobRecord[]> {
    const jobs = await this.readJobs(await this.redis.zrevrange(this.indexOf(filter), 0, -1));
    return jobs.filter((job) => matchesFilter(job, filter));
  }

  /**
   * Walks the index from `after` down, by score (the creation sequence), one
   * extra match past `limit` to know whether a next page exists. A finished
   * status has an index of its own (finished-index.ts); a status or tenant the
   * index does not separate (queued or running, any status with a model, a
   * tenant outside its own index) is checked by one pipelined HMGET per id, in
   * batches, before any whole record is read.
   */
  async page(filter: JobFilter, at: { limit: number; after?: number | undefined }): Promise<JobPage> {
    const finished = filter.status !== undefined && filter.model === undefined ? this.finished.keyOf(filter.status) : undefined;
    if (finished) await this.finished.ready();
    const index = finished ?? this.indexOf(filter);
    // What each id is checked for: neither the status an index holds alone, nor the tenant over its own index.
    const tenant = filter.tenant && index !== this.keys.tenantJobs(filter.tenant) ? filter.tenant : undefined;
    const checks: FieldChecks = { status: finished ? undefined : filter.status, tenant };
    const checking = checks.status !== undefined || checks.tenant !== undefined;
    const batch = checking ? Math.max(at.limit + 1, PAGE_SCAN_BATCH) : at.limit + 1;
    const matches: { id: string; score: number }[] = [];
    let max = at.after === undefined ? '+inf' : `(${at.after}`;
    while (matches.length <= at.limit) {
      const reply = await this.redis.zrevrangebyscore(index, max, '-inf', 'WITHSCORES', 'LIMIT', 0, batch);
      const scored: { id: string; score: number }[] = [];
      for (let i = 0; i + 1 < reply.length; i += 2) scored.push({ id: reply[i] as string, score: Number(reply[i + 1]) });
      const last = scored.at(-1);
      if (!last) break;
      matches.push(...(checking ? await this.matching(scored, checks) : scored));
      if (scored.length < batch) break;
      max = `(${last.score}`;
    }
    const page = matches.slice(0, at.limit);
    const next = matches.length > at.limit ? (page.at(-1)?.score ?? null) : null;
    // A job whose status changed since its HMGET is left out; the walk's position stays where it was.
    const jobs = await this.readJobs(page.map((m) => m.id));
    return { jobs: jobs.filter((job) => matchesFilter(job, filter)), next };
  }

  /** The index holding every job that `filter` can match, in creation order: the narrowest the filter names. */
  private indexOf(filter: JobFilter): string {
    const k = this.keys;
    if (filter.model !== undefined) return k.modelJobs(filter.model);
    if (filter.tenant) return k.tenantJobs(filter.tenant);
    if (filter.status && ACTIVE_JOB_STATUSES.includes(filter.status)) return k.activeJobs;
    return k.jobs;
  }

  /** A tenant's jobs index, or (no tenant) the key never written, which the scripts leave alone. */
  private tenantIndex(tenant: string | null): string {
    return tenant === null ? this.keys.none : this.keys.tenantJobs(tenant);
  }

  /** The entries whose stored status and tenant are those given (each given one). */
  private async matching<T extends { id: string }>(entries: T[], checks: FieldChecks): Promise<T[]> {
    const pipeline = this.redis.pipeline();
    for (const { id } of entries) pipeline.hmget(this.keys.job(id), 'status', 'tenant');
    const replies = (await pipeline.exec()) ?? [];
    const status = checks.status === undefined ? undefined : JSON.stringify(checks.status);
    const tenant = checks.tenant === undefined ? undefined : JSON.stringify(checks.tenant);
    return entries.filter((_, i) => {
      const [error, stored] = replies[i] ?? [];
      if (error) throw error;
      const [storedStatus, storedTenant] = Array.isArray(stored) ? stored : [];
      return (status === undefined || storedStatus === status) && (tenant === undefined || storedTenant === tenant);
    });
  }

  async activeUsingDataset(datasetId: string): Promise<JobRecord[]> {
    const jobs = await this.readJobs(await this.redis.zrevrange(this.keys.activeJobs, 0, -1));
    return jobs.filter((j) => ACTIVE_JOB_STATUSES.includes(j.status) && j.dataset.kind === 'stored' && j.dataset.id === datasetId);
  }

  /** One pipelined HGET per job, no history read: cheap enough for a metrics scrape. */
  async countByStatus(): Promise<Record<JobStatus, number>> {
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
   * Walks the jobs from the oldest created, reading three fields of each, and
   * stops at the first job created after `cutoff`: none later can have
   * finished before it. So a walk reads the expired jobs and the few old
   * ones still kept (active, or finished after the cutoff), not every job.
   */
  async finishedBefore(cutoff: Date): Promise<string[]> {
    const expired: string[] = [];
    let min = '-inf';
    for (;;) {
      const reply = await this.redis.zrangebyscore(this.keys.jobs, min, '+inf', 'WITHSCORES', 'LIMIT', 0, PAGE_SCAN_BATCH);
      if (reply.length === 0) return expired;
      const pipeline = this.redis.pipeline();
      for (let i = 0; i < reply.length; i += 2) pipeline.hmget(this.keys.job(reply[i] as string), 'status', 'created_at', 'finished_at');
      const replies = (await pipeline.exec()) ?? [];
      for (let i = 0; i < replies.length; i++) {
        const [error, stored] = replies[i] ?? [];
        if (error) throw error;
        const [status, createdAt, finishedAt] = (Array.isArray(stored) ? stored : []).map((v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : null));
        if (typeof createdAt === 'string' && Date.parse(createdAt) >= cutoff.getTime()) return expired;
        const parsed = JobStatusSchema.safeParse(status);
        if (parsed.success && isTerminal(parsed.data) && typeof finishedAt === 'string' && Date.parse(finishedAt) < cutoff.getTime()) expired.push(reply[2 * i] as string);
      }
      if (reply.length < 2 * PAGE_SCAN_BATCH) return expired;
      min = `(${reply.at(-1)}`;
    }
  }

  async delete(id: string): Promise<void> {
    const [modelId, tenant] = await this.redis.hmget(this.keys.job(id), 'model_id', 'tenant');
    if (modelId === null || modelId === undefined) notFound('job', id);
    const k = this.keys;
    const terminal = JOB_STATUSES.filter(isTerminal).map((s) => JSON.stringify(s));
    const tenantIndex = this.tenantIndex(JobRecordSchema.shape.tenant.parse(typeof tenant === 'string' ? JSON.parse(tenant) : null));
    const reply = await runScript(
      this.redis,
      'deleteJob',
      [k.job(id), k.epochs(id), k.jobs, k.activeJobs, k.modelJobs(String(JSON.parse(modelId))), ...this.finished.keys, tenantIndex],
      [id, terminal.join(' ')],
    );
    if (reply === -1) notFound('job', id);
    const [deleted, status] = Array.isArray(reply) ? reply : [reply];
    if (deleted === 0) throw new ConflictError(`job ${id} is ${typeof status === 'string' ? String(JSON.parse(status)) : 'active'}; only a finished job can be deleted`);
  }

  async start(id: string, backend: BackendRecord, fromEpoch = 0): Promise<JobRecord> {
    const job = await this.get(id);
    const fields = {
      started_at: timestamp(),
      attempts: job.attempts + 1,
      backend,
      engine: null,
      engine_note: null,
      progress: { epoch: fromEpoch, epochs: job.fit.epochs },
    };
    const written = await this.write(id, sourcesOf('running'), { ...fields, status: 'running' }, fromEpoch);
    await this.events.publish(id, jobStatusEvent(written));
    return written;
  }

  async appendEpoch(id: string, at: JobProgress, logs: Record<string, number>): Promise<{ cancel_requested: boolean }> {
    const progress = JobProgressSchema.parse(at);
    const reply = await runScript(
      this.redis,
      'appendEpoch',
      [this.keys.job(id), this.keys.epochs(id)],
      [JSON.stringify(logs), JSON.stringify(progress), JSON.stringify(timestamp()), JSON.stringify('running'), progress.epoch],
    );
    if (reply === -1) notFound('job', id);
    if (reply === 0) throw new ConflictError(`job ${id} is no longer running`);
    await this.events.publish(id, { type: 'epoch', data: { ...progress, logs } });
    return { cancel_requested: reply === 'true' };
  }

  setEngine(id: string, engine: JobEngine, note: string | null): Promise<JobRecord> {
    return this.write(id, ['running'], { engine, engine_note: note });
  }

  handBack(id: string): Promise<JobRecord> {
    return this.transition(id, 'queued', sourcesOf('queued'), {});
  }

  complete(id: string, version: number): Promise<JobRecord> {
    return this.transition(id, 'completed', sourcesOf('completed'), { version, finished_at: timestamp() });
  }

  fail(id: string, error: JobError): Promise<JobRecord> {
    return this.transition(id, 'failed', sourcesOf('failed'), { error, finished_at: timestamp() });
  }

  cancel(id: string): Promise<JobRecord> {
    return this.transition(id, 'cancelled', sourcesOf('cancelled'), { finished_at: timestamp() });
  }

  cancelQueued(id: string): Promise<JobRecord> {
    return this.transition(id, 'cancelled', ['queued'], { finished_at: timestamp() });
  }

  async requestCancel(id: string): Promise<JobRecord> {
    let job: JobRecord;
    try {
      job = await this.write(id, ACTIVE_JOB_STATUSES, { cancel_requested: true });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const { status } = await this.get(id);
      throw new ConflictError(`job ${id} has already finished (${status}); only queued or running jobs can be cancelled`);
    }
    await this.events.publishCancel(id);
    return job;
  }

  private async transition(id: string, to: JobStatus, from: readonly JobStatus[], fields: Partial<JobRecord>): Promise<JobRecord> {
    const job = await this.write(id, from, { ...fields, status: to });
    await this.events.publish(id, jobStatusEvent(job));
    return job;
  }

  /**
   * The compare-and-set: `fields` (and updated_at) land only while the job's status is one of `from`;
   * with `keepEpochs`, the epochs beyond the first `keepEpochs` go in the same step.
   */
  private async write(id: string, from: readonly JobStatus[], fields: Partial<JobRecord>, keepEpochs?: number): Promise<JobRecord> {
    const k = this.keys;
    const json = (statuses: readonly JobStatus[]) => statuses.map((s) => JSON.stringify(s)).join(' ');
    const reply = await runScript(
      this.redis,
      'transitionJob',
      [k.job(id), k.epochs(id), k.jobs, k.activeJobs, ...this.finished.keys],
      [
        id,
        json(from),
        json(ACTIVE_JOB_STATUSES),
        keepEpochs === undefined ? '' : String(keepEpochs),
        this.finished.args,
        ...this.records.fields({ ...fields, updated_at: timestamp() }),
      ],
    );
    if (reply === -1) notFound('job', id);
    const [applied, fieldsOrStatus, epochs] = list(reply);
    if (applied === 0) {
      const status = typeof fieldsOrStatus === 'string' ? String(JSON.parse(fieldsOrStatus)) : 'unknown';
      const target = fields.status ? `become ${fields.status}` : 'change';
      throw new ConflictError(`job ${id} is ${status}; only a ${from.join(' or ')} job can ${target}`);
    }
    return this.records.decode(fieldsOrStatus, { history: epochsToHistory(strings(epochs)) });
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
      if (Object.keys(decoded).length) out.push(JobRecordSchema.parse({ ...decodeFields(decoded), history: epochsToHistory(strings(epochs)) }));
    }
    return out;
  }
}

/** What a page walk checks per id, beyond what its index ensures. */
interface FieldChecks {
  status?: JobStatus | undefined;
  tenant?: string | undefined;
}

function matchesFilter(job: JobRecord, filter: JobFilter): boolean {
  return (!filter.status || job.status === filter.status) && (!filter.tenant || job.tenant === filter.tenant);
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
