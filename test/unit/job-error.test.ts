import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import { jobErrorOf } from '../../src/worker/job-error.js';

test('a job whose files meet a full disk fails storage_full, not training_error', async () => {
  // /dev/full answers every write with a real ENOSPC.
  const error = await writeFile('/dev/full', Buffer.alloc(1024)).then(
    () => assert.fail('/dev/full accepted a write'),
    (caught: unknown) => caught,
  );
  const jobError = jobErrorOf(error);
  assert.equal(jobError.code, 'storage_full');
  assert.match(jobError.message, /ENOSPC/);
});

test('any other failure of the fit stays a training_error', () => {
  assert.equal(jobErrorOf(new Error('NaN loss')).code, 'training_error');
});
