import type { Redis } from 'ioredis';
import type { RegistryKeys } from '../registry/keys.js';
import { runScript } from '../registry/scripts.js';
import { JOB_STATUSES, isTerminal, type JobStatus } from './status.js';

/** The statuses a job ends in, each with an index of its own. */
export const FINISHED_STATUSES: readonly JobStatus[] = JOB_STATUSES.filter(isTerminal);

/** Jobs whose status each round trip of the backfill indexes. */
const BACKFILL_BATCH = 200;

/**
 * One sorted set per finished status, of the jobs that ended so, scored by
 * their creation as every job index is: a page of `?status=completed` is a
 * range of its own set, O(log n + page), however many jobs have another
 * status. The transition and delete scripts keep the sets in the same step
 * as the status (`keys` and `args` give them what they need); `ready` adds,
 * once per Redis, the jobs that finished before the sets existed.
 */
export class FinishedJobsIndex {
  private built: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly registry: RegistryKeys,
  ) {}

  /** The set of the jobs that finished with `status`, or undefined for a status a job can still leave. */
  keyOf(status: JobStatus): string | undefined {
    return FINISHED_STATUSES.includes(status) ? this.registry.finishedJobs(status) : undefined;
  }

  /** The sets, in the order `args` names their statuses. */
  get keys(): string[] {
    return FINISHED_STATUSES.map((status) => this.registry.finishedJobs(status));
  }

  /** The finished statuses as the scripts compare them (JSON strings), space-separated. */
  get args(): string {
    return FINISHED_STATUSES.map((status) => JSON.stringify(status)).join(' ');
  }

  /** Resolves once the sets hold every finished job; the first call in a process may walk every job once. */
  ready(): Promise<void> {
    this.built ??= this.backfill().catch((error: unknown) => {
      this.built = undefined;
      throw error;
    });
    return this.built;
  }

  private async backfill(): Promise<void> {
    if ((await this.redis.exists(this.registry.finishedJobsIndexed)) === 1) return;
    let min = '-inf';
    for (;;) {
      const ids = await this.redis.zrangebyscore(this.registry.jobs, min, '+inf', 'WITHSCORES', 'LIMIT', 0, BACKFILL_BATCH);
      if (ids.length === 0) break;
      await Promise.all(
        Array.from({ length: ids.length / 2 }, (_, i) => {
          const id = ids[2 * i] as string;
          return runScript(this.redis, 'indexFinishedJob', [this.registry.job(id), this.registry.jobs, ...this.keys], [id, this.args]);
        }),
      );
      if (ids.length < 2 * BACKFILL_BATCH) break;
      min = `(${ids.at(-1)}`;
    }
    await this.redis.set(this.registry.finishedJobsIndexed, '1');
  }
}
