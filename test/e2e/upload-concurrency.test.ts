import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startService } from '../support/service.js';
import { waitUntil } from '../support/wait.js';

const CSV = 'a,b,label\n1,2,0\n3,4,1\n5,6,0\n';

/** Holds one of the service's parser slots, as a long parse would, until `release` is called. */
function holdSlot(slots: { run(work: () => Promise<void>): Promise<void> }): { held: Promise<void>; release: () => void } {
  let release = (): void => undefined;
  const held = slots.run(() => new Promise<void>((resolve) => (release = resolve)));
  return { held, release: () => release() };
}

function upload(url: string, name: string): Promise<Response> {
  return fetch(`${url}/v1/datasets/csv?name=${name}&target=label`, { method: 'POST', body: CSV, headers: { 'content-type': 'text/csv' } });
}

test('with every parser busy, an upload waits its turn and is parsed once a slot frees', async () => {
  const service = await startService({ workers: 0, env: { UPLOAD_PARSE_CONCURRENCY: '1', UPLOAD_PARSE_WAIT_MS: '120000' } });
  try {
    const slot = holdSlot(service.app.uploadSlots);
    let settled = false;
    const waiting = upload(service.url, 'queued').finally(() => (settled = true));
    await waitUntil('the upload to wait for a parser', async () => (service.app.uploadSlots.load.waiting === 1 ? true : undefined), 60_000);
    assert.equal(settled, false, 'the upload was answered while the only parser was busy');
    assert.equal((await service.request('GET', '/healthz')).status, 200);

    slot.release();
    await slot.held;
    const response = await waiting;
    const body = (await response.json()) as { rows: number };
    assert.equal(response.status, 201, JSON.stringify(body));
    assert.equal(body.rows, 3);
    assert.deepEqual(service.app.uploadSlots.load, { running: 0, waiting: 0 });
  } finally {
    await service.close();
  }
});

test('an upload that waits longer than UPLOAD_PARSE_WAIT_MS is a 503 in the error shape, and its file is removed', async () => {
  const service = await startService({ workers: 0, env: { UPLOAD_PARSE_CONCURRENCY: '1', UPLOAD_PARSE_WAIT_MS: '50' } });
  try {
    const slot = holdSlot(service.app.uploadSlots);
    const response = await upload(service.url, 'refused');
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(response.status, 503, JSON.stringify(body));
    assert.equal(body.error.code, 'unavailable');
    assert.match(body.error.message, /UPLOAD_PARSE_CONCURRENCY=1/);
    assert.deepEqual(await service.artifacts.children('uploads'), [], 'the received file is removed');
    assert.deepEqual((await service.request('GET', '/v1/datasets')).body.datasets, []);

    slot.release();
    await slot.held;
    assert.equal((await upload(service.url, 'later')).status, 201);
  } finally {
    await service.close();
  }
});
