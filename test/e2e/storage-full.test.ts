import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import Fastify from 'fastify';
import errorsPlugin from '../../src/api/plugins/errors.js';

// /dev/full answers every write with a real ENOSPC, so a full disk needs neither root nor a small mount.
test('a write that finds the disk full is a 507 insufficient_storage, not a 500', async () => {
  const app = Fastify();
  await app.register(errorsPlugin);
  app.post('/write', async () => {
    await writeFile('/dev/full', Buffer.alloc(1024));
    return { written: true };
  });
  app.post('/wrapped', async () => {
    try {
      await writeFile('/dev/full', Buffer.alloc(1024));
    } catch (cause) {
      throw new Error('could not store the dataset', { cause });
    }
    return { written: true };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const address = app.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    for (const path of ['/write', '/wrapped']) {
      const response = await fetch(`${base}${path}`, { method: 'POST' });
      assert.equal(response.status, 507, path);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.deepEqual(Object.keys(body), ['error']);
      assert.equal(body.error.code, 'insufficient_storage');
      assert.equal(typeof body.error.message, 'string');
    }
  } finally {
    await app.close();
  }
});
