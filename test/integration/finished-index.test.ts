import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { CreateJobInput, JobFilter, JobStore } from '../../src/jobs/job-store.js';
import type { JobStatus } from '../../src/jobs/status.js';
import { registryKeys } from '../../src/registry/keys.js';
import { removeExpiredJobs } from '../../src/worker/sweep.js';
import { commandsDuring as watchCommands } from '../support/redis-monitor.js';
import { useTestStores, type TestStores } from '../support/stores.js';

let registry: TestStores;

before(async () => {
  registry = await useTestStores();
});

after(() => registry.cleanup());

const BACKEND = { name: 'cpu', tensorflow_version: null };
const INPUT: CreateJobInput = {
  model_id: 'mdl_aaaaaaaaaaaa',
  model_name: 'iris',
  dataset: { kind: 'builtin', name: 'iris' },
  fit: { epochs: 5, batch_size: 32, validation_split: 0, shuffle: true },
};
const FINISHED: JobStatus[] = ['completed', 'failed', 'cancelled'];

/**
 * `count` jobs, newest first per status: most stay queued or running, and
 * one in seven of each finished status, so a status filter's matches are
 * sparse among all jobs.
 */
async function makeJobs(jobs: JobStore, count: number): Promise<Record<JobStatus, string[]>> {
  const byStatus: Record<JobStatus, string[]> = { queued: [], running: [], completed: [], failed: [], cancelled: [] };
  for (let i = 0; i < count; i++) {
    const { id } = await jobs.create(INPUT);
    const status: JobStatus = (['queued', 'running', 'queued', 'running', 'completed', 'failed', 'cancelled'] as const)[i % 7] as JobStatus;
    if (status !== 'queued') await jobs.start(id, BACKEND);
    if (status === 'completed') await jobs.complete(id, 1);
    if (status === 'failed') await jobs.fail(id, { code: 'training_error', message: 'diverged' });
    if (status === 'cancelled') await jobs.cancel(id);
    byStatus[status].unshift(id);
  }
  return byStatus;
}

/** Every page of `filter`, `limit` at a time: the ids of each page, in order. */
async function walk(jobs: JobStore, filter: JobFilter, limit: number): Promise<string[][]> {
  const pages: string[][] = [];
  let after: number | undefined;
  do {
    const page = await jobs.page(filter, { limit, after });
    assert.ok(page.jobs.length <= limit);
    assert.ok(page.jobs.every((job) => job.status === filter.status));
    pages.push(page.jobs.map((job) => job.id));
    after = page.next ?? undefined;
  } while (after !== undefined);
  return pages;
}

/** The commands that name `prefix`'s keys, sent while `work` runs, as MONITOR reports them. */
async function commandsDuring(prefix: string, work: () => Promise<unknown>): Promise<string[][]> {
  const seen = await watchCommands(
    {
      url: registry.redis.url,
      marker: `${prefix}:monitor-marker`,
      sendMarker: (marker) => registry.redis.client.exists(marker),
      keep: ({ args }) => args.some((arg) => arg.startsWith(`${prefix}:`)),
    },
    work,
  );
  return seen.map(({ args }) => args);
}

describe('finished jobs by status', () => {
  it('pages through each finished status completely, disjointly and newest first, reading only its own index', async () => {
    const prefix = registry.newPrefix();
    const { jobs } = registry.open({ prefix });
    const made = await makeJobs(jobs, 210);
    for (const status of FINISHED) {
      const pages = await walk(jobs, { status }, 7);
      const ids = pages.flat();
      assert.deepEqual(ids, made[status], `${status}: every job once, newest first`);
      assert.equal(new Set(ids).size, ids.length, `${status}: no job on two pages`);
      assert.ok(pages.slice(0, -1).every((page) => page.length === 7), `${status}: every page but the last is full`);
    }

    // A page reads its status's index and the page's own records: no job of another status is looked at.
    await jobs.page({ status: 'completed' }, { limit: 5 });
    const commands = await commandsDuring(prefix, () => jobs.page({ status: 'completed' }, { limit: 5 }));
    const names = commands.map((args) => (args[0] as string).toLowerCase());
    assert.equal(names.filter((name) => name === 'zrevrangebyscore').length, 1, commands.join('\n'));
    assert.equal(names.filter((name) => name === 'hget').length, 0, commands.join('\n'));
    assert.equal(names.filter((name) => name === 'hgetall').length, 5, commands.join('\n'));
  });

  it('keeps the indexes in step when retention removes finished jobs', async () => {
    const prefix = registry.newPrefix();
    const { jobs } = registry.open({ prefix });
    const keys = registryKeys(prefix);
    const old = await makeJobs(jobs, 35);
    const cutoff = Date.now() + 1;
    while (Date.now() <= cutoff) await new Promise((resolve) => setTimeout(resolve, 2));
    const recent = await makeJobs(jobs, 21);

    const removed = await removeExpiredJobs({ jobs, artifacts: { delete: async () => undefined }, logger: pino({ level: 'silent' }) }, Date.now() - cutoff);
    assert.deepEqual(new Set(removed), new Set(FINISHED.flatMap((status) => old[status])));
    for (const status of FINISHED) {
      assert.deepEqual((await walk(jobs, { status }, 4)).flat(), recent[status], `${status}: only the jobs kept`);
      assert.deepEqual(await registry.redis.client.zrevrange(keys.finishedJobs(status), 0, -1), recent[status], `${status}: the index holds no removed job`);
    }
    // The jobs still active were never in a finished index, and stay in the active one.
    assert.equal(await registry.redis.client.zcard(keys.activeJobs), old.queued.length + old.running.length + recent.queued.length + recent.running.length);
  });

  it('indexes once the jobs that finished before the indexes existed', async () => {
    const prefix = registry.newPrefix();
    const made = await makeJobs(registry.open({ prefix }).jobs, 28);
    const keys = registryKeys(prefix);
    // As a Redis written before the indexes: the same records, no finished index, no marker.
    await registry.redis.client.del(...FINISHED.map((status) => keys.finishedJobs(status)), keys.finishedJobsIndexed);

    const { jobs } = registry.open({ prefix });
    for (const status of FINISHED) assert.deepEqual((await walk(jobs, { status }, 3)).flat(), made[status], status);
    assert.equal(await registry.redis.client.exists(keys.finishedJobsIndexed), 1);
    // A job finishing after the backfill lands in its index through its transition.
    const later = await jobs.create(INPUT);
    await jobs.cancel((await jobs.start(later.id, BACKEND)).id);
    assert.deepEqual((await jobs.page({ status: 'cancelled' }, { limit: 1 })).jobs.map((job) => job.id), [later.id]);
  });
});
