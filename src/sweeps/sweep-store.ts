import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ConflictError } from '../errors.js';
import { registryKeys, type RegistryKeys } from '../registry/keys.js';
import { HashRecords, asJson, list, notFound, timestamp } from '../registry/redis-record.js';
import { runScript } from '../registry/scripts.js';
import { ChannelSubscriptions } from '../registry/subscriptions.js';
import { MetricValueSchema } from '../registry/records.js';
import { SweepEventSchema, SweepRecordSchema, TrialSchema, type SweepEvent, type SweepRecord, type SweepStatus, type Trial } from './record.js';

/** How long one advance may hold a sweep before another process may take it (a holder that died). */
const LOCK_MS = 30_000;

const TrialLinkSchema = z.object({ sweep_id: z.string(), trial: z.number().int().nonnegative() });
export type TrialLink = z.infer<typeof TrialLinkSchema>;
const HistorySchema = z.array(MetricValueSchema);

export interface SweepStoreOptions {
  /** Used as given and never closed here. */
  redis: Redis;
  prefix: string;
  onError?: (error: unknown) => void;
}

/**
 * Sweeps in Redis: a hash per sweep, a hash of its trials (index → JSON),
 * the link from each trial's job back to its trial, and the sweep's event
 * channel. Trials change only inside `exclusive`, one process at a time.
 */
export class SweepStore {
  private readonly redis: Redis;
  private readonly keys: RegistryKeys;
  private readonly records: HashRecords<typeof SweepRecordSchema>;
  private readonly subscriptions: ChannelSubscriptions;

  constructor(options: SweepStoreOptions) {
    this.redis = options.redis;
    this.keys = registryKeys(options.prefix);
    this.records = new HashRecords(options.redis, SweepRecordSchema);
    this.subscriptions = new ChannelSubscriptions(options.redis, options.onError ?? ((error: unknown) => process.emitWarning(error instanceof Error ? error : String(error))));
  }

  async create(input: Omit<SweepRecord, 'status' | 'best' | 'promoted_version' | 'created_at' | 'finished_at' | 'updated_at'>, trials: Trial[]): Promise<SweepRecord> {
    const now = timestamp();
    const record = this.records.normalize({ ...input, status: 'running', best: null, promoted_version: null, created_at: now, finished_at: null, updated_at: now });
    const k = this.keys;
    const multi = this.redis.multi().hset(k.sweep(record.id), ...this.records.fields(record));
    for (const trial of trials) multi.hset(k.sweepTrials(record.id), String(trial.index), JSON.stringify(asJson(trial)));
    await multi.zadd(k.sweeps, Date.now(), record.id).zadd(k.activeSweeps, Date.now(), record.id).exec();
    return record;
  }

  find(id: string): Promise<SweepRecord | null> {
    return this.records.read(this.keys.sweep(id));
  }

  async get(id: string): Promise<SweepRecord> {
    return (await this.find(id)) ?? notFound('sweep', id);
  }

  /** Newest first. */
  async list(): Promise<SweepRecord[]> {
    return this.records.readMany((await this.redis.zrevrange(this.keys.sweeps, 0, -1)).map(this.keys.sweep));
  }

  /** The sweeps that ended (completed or cancelled) before `cutoff`. */
  async finishedBefore(cutoff: Date): Promise<string[]> {
    const ended = (await this.list()).filter((sweep) => sweep.finished_at !== null && Date.parse(sweep.finished_at) < cutoff.getTime());
    return ended.map((sweep) => sweep.id);
  }

  /**
   * Removes an ended sweep: its record, its trials and every trace of them in
   * the indexes. The trials' jobs are records of their own, with a retention
   * of their own. Returns false when the sweep is gone or has not ended.
   */
  async delete(id: string): Promise<boolean> {
    const sweep = await this.find(id);
    if (!sweep?.finished_at) return false;
    const k = this.keys;
    const jobs = (await this.trials(id)).flatMap((trial) => (trial.job_id ? [trial.job_id] : []));
    const multi = this.redis.multi().del(k.sweep(id), k.sweepTrials(id), k.sweepStopped(id)).zrem(k.sweeps, id).zrem(k.activeSweeps, id);
    if (jobs.length > 0) multi.hdel(k.trialJobs, ...jobs);
    await multi.exec();
    return true;
  }

  /** In index order. */
  async trials(id: string): Promise<Trial[]> {
    const stored = await this.redis.hvals(this.keys.sweepTrials(id));
    return stored.map((json) => TrialSchema.parse(JSON.parse(json))).sort((a, b) => a.index - b.index);
  }

  /** Only inside `exclusive`. */
  async putTrial(id: string, trial: Trial, job?: string): Promise<void> {
    const multi = this.redis.multi().hset(this.keys.sweepTrials(id), String(trial.index), JSON.stringify(asJson(trial)));
    if (job) multi.hset(this.keys.trialJobs, job, JSON.stringify({ sweep_id: id, trial: trial.index }));
    await multi.exec();
  }

  async update(id: string, fields: Partial<Pick<SweepRecord, 'best' | 'promoted_version' | 'finished_at'>>): Promise<SweepRecord> {
    await this.redis.hset(this.keys.sweep(id), ...this.records.fields({ ...fields, updated_at: timestamp() }));
    return this.get(id);
  }

  /** A compare-and-set of the status; ConflictError when the sweep is not in one of `from`. */
  async transition(id: string, to: SweepStatus, from: readonly SweepStatus[]): Promise<SweepRecord> {
    const now = timestamp();
    const fields = this.records.fields({ status: to, updated_at: now, ...(to === 'running' ? {} : { finished_at: now }) });
    const reply = await runScript(this.redis, 'transitionSweep', [this.keys.sweep(id)], [from.map((s) => JSON.stringify(s)).join(' '), ...fields]);
    if (reply === -1) notFound('sweep', id);
    const [applied, status] = list(reply);
    if (applied === 0) throw new ConflictError(`sweep ${id} is already ${typeof status === 'string' ? String(JSON.parse(status)) : 'ended'}`);
    return this.get(id);
  }

  /** The sweeps that may still have something to do. */
  active(): Promise<string[]> {
    return this.redis.zrange(this.keys.activeSweeps, 0, '-1');
  }

  /** The sweep has ended and so have its trials: nothing more to advance. */
  async settled(id: string): Promise<void> {
    await this.redis.zrem(this.keys.activeSweeps, id);
  }

  async trialOfJob(jobId: string): Promise<TrialLink | null> {
    const stored = await this.redis.hget(this.keys.trialJobs, jobId);
    return stored === null ? null : TrialLinkSchema.parse(JSON.parse(stored));
  }

  /** The median rule stopped this trial, whose objective ran so; the next advance records it `stopped`. */
  async markStopped(id: string, trial: number, history: (number | null)[]): Promise<void> {
    await this.redis.hset(this.keys.sweepStopped(id), String(trial), JSON.stringify(history));
  }

  async stopped(id: string): Promise<Map<number, (number | null)[]>> {
    const stored = await this.redis.hgetall(this.keys.sweepStopped(id));
    return new Map(Object.entries(stored).map(([trial, json]) => [Number(trial), HistorySchema.parse(JSON.parse(json))]));
  }

  /**
   * Runs `step` for the sweep in one process at a time. A call that finds the
   * sweep taken leaves a mark instead, and the holder runs `step` again once
   * more after its own, so no change a caller came to report is missed.
   */
  async exclusive(id: string, step: () => Promise<void>): Promise<void> {
    const k = this.keys;
    const token = randomBytes(9).toString('base64url');
    for (;;) {
      await this.redis.set(k.sweepDirty(id), '1');
      if ((await this.redis.set(k.sweepLock(id), token, 'PX', LOCK_MS, 'NX')) === null) return;
      try {
        while ((await this.redis.getdel(k.sweepDirty(id))) !== null) await step();
      } finally {
        await runScript(this.redis, 'releaseLock', [k.sweepLock(id)], [token]);
      }
      if (!(await this.redis.exists(k.sweepDirty(id)))) return;
    }
  }

  async publish(id: string, event: SweepEvent): Promise<void> {
    await this.redis.publish(this.keys.sweepEvents(id), JSON.stringify(SweepEventSchema.parse(asJson(event))));
  }

  /** Events published from when this resolves; the result unsubscribes. */
  subscribe(id: string, handler: (event: SweepEvent) => void): Promise<() => Promise<void>> {
    return this.subscriptions.listen(this.keys.sweepEvents(id), (message) => handler(SweepEventSchema.parse(JSON.parse(message))));
  }

  async close(): Promise<void> {
    await this.subscriptions.close();
  }
}
