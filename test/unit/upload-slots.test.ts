import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UploadSlots } from '../../src/api/services/upload-slots.js';
import { AppError } from '../../src/errors.js';

/** A promise and the function that settles it, so a test decides when each parse ends. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

test('no more than `size` parses run at once; the others start in order of arrival as slots free up', async () => {
  const slots = new UploadSlots(2, 60_000);
  const gates = Array.from({ length: 5 }, gate);
  const started: number[] = [];
  let running = 0;
  let most = 0;
  const runs = gates.map((g, i) =>
    slots.run(async () => {
      started.push(i);
      running += 1;
      most = Math.max(most, running);
      await g.promise;
      running -= 1;
      return i;
    }),
  );
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(started, [0, 1]);
  assert.deepEqual(slots.load, { running: 2, waiting: 3 });

  gates[1]?.open();
  await runs[1];
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(started, [0, 1, 2]);
  for (const g of gates) g.open();
  assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3, 4]);
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  assert.equal(most, 2);
  assert.deepEqual(slots.load, { running: 0, waiting: 0 });
});

test('a parse that fails frees its slot for the next', async () => {
  const slots = new UploadSlots(1, 60_000);
  const failing = slots.run(() => Promise.reject(new Error('bad file')));
  const next = slots.run(async () => 'parsed');
  await assert.rejects(failing, /bad file/);
  assert.equal(await next, 'parsed');
  assert.deepEqual(slots.load, { running: 0, waiting: 0 });
});

test('an upload that waits longer than waitMs is a 503 unavailable, and leaves the queue', async () => {
  const slots = new UploadSlots(1, 20);
  const held = gate();
  const holding = slots.run(() => held.promise);
  let ran = false;
  const error: unknown = await slots
    .run(async () => {
      ran = true;
    })
    .catch((e: unknown) => e);
  assert.ok(error instanceof AppError, String(error));
  assert.equal(error.status, 503);
  assert.equal(error.code, 'unavailable');
  assert.match(error.message, /UPLOAD_PARSE_CONCURRENCY=1/);
  assert.equal(ran, false);
  assert.deepEqual(slots.load, { running: 1, waiting: 0 });
  held.open();
  await holding;
  assert.equal(await slots.run(async () => 'next'), 'next');
  assert.deepEqual(slots.load, { running: 0, waiting: 0 });
});
