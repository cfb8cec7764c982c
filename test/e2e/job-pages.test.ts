import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { IRIS } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';

// No workers: every job stays queued, so the list is only what the test made.
let service: TestService;
const created: string[] = [];

before(async () => {
  service = await startService({ workers: 0 });
  assert.equal((await service.request('POST', '/v1/models', IRIS)).status, 201);
  for (let i = 0; i < 5; i++) created.unshift(await submit());
});
after(async () => {
  await service.close();
});

async function submit(): Promise<string> {
  const { status, body } = await service.request('POST', '/v1/jobs', { model: 'iris', dataset: { builtin: 'iris' }, fit: { epochs: 1 } });
  assert.equal(status, 202, JSON.stringify(body));
  return body.id;
}

test('GET /v1/jobs walks every job once, newest first, by limit and cursor, while jobs are created', async () => {
  const seen: string[] = [];
  let path = '/v1/jobs?limit=2';
  for (;;) {
    const { status, body } = await service.request('GET', path);
    assert.equal(status, 200, JSON.stringify(body));
    assert.ok(body.jobs.length <= 2);
    seen.push(...body.jobs.map((j: { id: string }) => j.id));
    await submit();
    if (body.next_cursor === null) break;
    assert.equal(typeof body.next_cursor, 'string');
    path = `/v1/jobs?limit=2&cursor=${encodeURIComponent(body.next_cursor)}`;
  }
  assert.deepEqual(seen, created);
});

test('without a limit a page holds up to 100 jobs and the last says so with a null next_cursor', async () => {
  const { body } = await service.request('GET', '/v1/jobs?status=queued&model=iris');
  assert.ok(body.jobs.length >= created.length && body.jobs.length <= 100);
  assert.equal(body.next_cursor, null);
});

test('a cursor the service did not write, or a limit out of range, is a 400 naming the parameter', async () => {
  for (const query of ['cursor=bm9wZQ', 'cursor=%20', 'limit=0', 'limit=1001', 'limit=two']) {
    const { status, body } = await service.request('GET', `/v1/jobs?${query}`);
    assert.equal(status, 400, query);
    assert.equal(body.error.code, 'validation_error', query);
    assert.equal(body.error.details[0].path, `querystring.${query.split('=')[0]}`, query);
  }
});
