import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CreateJobInput, JobFilter } from '../../src/jobs/job-store.js';
import { registryKeys } from '../../src/registry/keys.js';
import { useTestStores, type TestStores } from '../support/stores.js';

let registry: TestStores;

before(async () => {
  registry = await useTestStores();
});

after(() => registry.cleanup());

const BACKEND = { name: 'cpu', tensorflow_version: null };
const MODEL_A = 'mdl_aaaaaaaaaaaa';
const MODEL_B = 'mdl_bbbbbbbbbbbb';

function jobInput(overrides: Partial<CreateJobInput> = {}): CreateJobInput {
  return {
    model_id: MODEL_A,
    model_name: 'a',
    dataset: { kind: 'builtin', name: 'iris' },
    fit: { epochs: 3, batch_size: 32, validation_split: 0, shuffle: true },
    ...overrides,
  };
}

describe("a tenant's jobs in the job store", () => {
  it('stores the tenant, null for none, and lists and pages each tenant alone, newest first', async () => {
    const { jobs } = registry.open();
    const byTenant: Record<string, string[]> = { acme: [], globex: [], none: [] };
    const completed: string[] = [];
    // acme's jobs are few among many, so a page of acme's walks past others' jobs.
    for (let i = 0; i < 30; i++) {
      const tenant = i % 10 === 3 ? 'acme' : i % 2 === 0 ? 'globex' : null;
      const job = await jobs.create(jobInput({ tenant, ...(i % 4 === 0 ? { model_id: MODEL_B, model_name: 'b' } : {}) }));
      assert.equal(job.tenant, tenant);
      assert.equal((await jobs.get(job.id)).tenant, tenant);
      byTenant[tenant ?? 'none']?.unshift(job.id);
      if (i % 3 === 0) {
        await jobs.start(job.id, BACKEND);
        await jobs.complete(job.id, 1);
        completed.unshift(job.id);
      }
    }
    const walk = async (filter: JobFilter, limit: number): Promise<string[]> => {
      const ids: string[] = [];
      let after: number | undefined;
      do {
        const page = await jobs.page(filter, { limit, after });
        assert.ok(page.jobs.length > 0 || (after === undefined && page.next === null), 'no empty page before the end');
        assert.ok(page.jobs.length <= limit);
        ids.push(...page.jobs.map((j) => j.id));
        after = page.next ?? undefined;
      } while (after !== undefined);
      return ids;
    };

    assert.deepEqual(await walk({ tenant: 'acme' }, 1), byTenant.acme);
    assert.deepEqual(await walk({ tenant: 'globex' }, 4), byTenant.globex);
    assert.deepEqual((await jobs.list({ tenant: 'acme' })).map((j) => j.id), byTenant.acme);
    assert.equal((await walk({}, 7)).length, 30, 'no tenant in the filter: every job');
    assert.equal((await walk({ tenant: null }, 7)).length, 30, 'a null tenant: every job');

    const ofGlobex = (ids: string[]) => ids.filter((id) => byTenant.globex?.includes(id));
    assert.deepEqual(await walk({ tenant: 'globex', status: 'completed' }, 2), ofGlobex(completed));
    assert.deepEqual(await walk({ tenant: 'globex', status: 'queued' }, 2), ofGlobex(byTenant.globex?.filter((id) => !completed.includes(id)) ?? []));
    const ofModelB = (await jobs.list({ model: MODEL_B })).map((j) => j.id);
    assert.deepEqual(await walk({ tenant: 'globex', model: MODEL_B }, 1), ofGlobex(ofModelB));
    assert.deepEqual(await walk({ tenant: 'globex', model: MODEL_B, status: 'completed' }, 1), ofGlobex(ofModelB.filter((id) => completed.includes(id))));
    assert.deepEqual(await jobs.page({ tenant: 'initech' }, { limit: 5 }), { jobs: [], next: null });
  });

  it("deleting a finished job takes it out of its tenant's index", async () => {
    const prefix = registry.newPrefix();
    const { jobs } = registry.open({ prefix });
    const keys = registryKeys(prefix);
    const kept = await jobs.create(jobInput({ tenant: 'acme' }));
    const gone = await jobs.create(jobInput({ tenant: 'acme' }));
    const untenanted = await jobs.create(jobInput());
    assert.deepEqual(await registry.redis.client.zrange(keys.tenantJobs('acme'), 0, '-1'), [kept.id, gone.id]);
    for (const job of [gone, untenanted]) {
      await jobs.start(job.id, BACKEND);
      await jobs.fail(job.id, { code: 'training_error', message: 'diverged' });
      await jobs.delete(job.id);
    }
    assert.deepEqual(await registry.redis.client.zrange(keys.tenantJobs('acme'), 0, '-1'), [kept.id]);
    assert.deepEqual((await jobs.page({ tenant: 'acme' }, { limit: 5 })).jobs.map((j) => j.id), [kept.id]);
    assert.equal(await registry.redis.client.exists(keys.none), 0, 'a job of no tenant writes no tenant index');
  });
});
