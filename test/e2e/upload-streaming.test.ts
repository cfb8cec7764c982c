import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadDataset } from '../../src/registry/dataset-loader.js';
import { startService, type TestService } from '../support/service.js';
import { uploadWatchingHealth } from '../support/upload-watch.js';

const FEATURES = 8;
const ROWS = 1_000_000;
const CLASSES = ['alpha', 'beta', 'gamma'];
/** Far below what a parser holding the file's text and records would reach (issue 12: 2.7 GB for 20 MB). */
const RSS_GROWTH_BOUND_MB = 400;

// Multiples of 1/8, so the float32 the service stores is the value written.
const feature = (row: number, column: number): number => ((row * 31 + column * 17) % 4000) / 8;
const label = (row: number): string => CLASSES[row % CLASSES.length] as string;

let service: TestService;
let folder: string;
let file: string;

before(async () => {
  service = await startService({ workers: 0 });
  folder = mkdtempSync(join(tmpdir(), 'modelyard-upload-'));
  file = join(folder, 'large.csv');
  const out = createWriteStream(file);
  const header = [...Array.from({ length: FEATURES }, (_, j) => `f${j}`), 'kind'].join(',');
  out.write(`${header}\n`);
  const BATCH = 10_000;
  for (let start = 0; start < ROWS; start += BATCH) {
    let text = '';
    for (let i = start; i < start + BATCH; i++) {
      for (let j = 0; j < FEATURES; j++) text += `${feature(i, j)},`;
      text += `${label(i)}\n`;
    }
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
});

after(async () => {
  await service.close();
  rmSync(folder, { recursive: true, force: true });
});

test('a large CSV is parsed off the event loop: /healthz answers throughout, memory stays bounded', async (t) => {
  const size = statSync(file).size;
  const upload = await uploadWatchingHealth(`${service.url}/v1/datasets/csv?name=large&target=kind`, file, 'text/csv');
  const uploaded = upload.body as { id: string; rows: number; x_shape: number[]; y_shape: number[]; class_names: string[] };
  t.diagnostic(
    `${(size / 2 ** 20).toFixed(1)} MB CSV: /healthz answered ${upload.answers} times (${upload.answersWhileParsing} after the body was sent), ` +
      `slowest ${upload.maxLatencyMs.toFixed(1)} ms; RSS grew ${upload.rssGrowthMb.toFixed(0)} MB at most`,
  );

  assert.equal(upload.status, 201, JSON.stringify(uploaded));
  assert.ok(upload.answersWhileParsing >= 10, `/healthz answered only ${upload.answersWhileParsing} times while the upload was parsed`);
  assert.ok(upload.rssGrowthMb < RSS_GROWTH_BOUND_MB, `RSS grew ${upload.rssGrowthMb.toFixed(0)} MB for a ${(size / 2 ** 20).toFixed(0)} MB file`);

  assert.equal(uploaded.rows, ROWS);
  assert.deepEqual(uploaded.x_shape, [FEATURES]);
  assert.deepEqual(uploaded.y_shape, []);
  assert.deepEqual(uploaded.class_names, CLASSES);
  const stored = await loadDataset({ datasets: service.stores.datasets, artifacts: service.artifacts }, { id: uploaded.id });
  assert.deepEqual(stored.x.shape, [ROWS, FEATURES]);
  for (const row of [0, 1, ROWS / 2, ROWS - 1]) {
    assert.deepEqual(Array.from(stored.x.data.subarray(row * FEATURES, (row + 1) * FEATURES)), Array.from({ length: FEATURES }, (_, j) => feature(row, j)));
    assert.equal(stored.y.data[row], row % CLASSES.length);
  }

  assert.equal((await service.request('DELETE', `/v1/datasets/${uploaded.id}`)).status, 204);
});

test('an upload whose parsing needs more than UPLOAD_PARSE_MEMORY_MB is a 413, and the API goes on', async () => {
  const small = await startService({ workers: 0, env: { UPLOAD_PARSE_MEMORY_MB: '16' } });
  try {
    // Every label distinct: the classes found so far are the one thing a CSV's parser must keep.
    const rows = Array.from({ length: 500_000 }, (_, i) => `${i % 7},label-${i}-${'x'.repeat(40)}`);
    const response = await fetch(`${small.url}/v1/datasets/csv?name=labels&target=t`, {
      method: 'POST',
      body: `a,t\n${rows.join('\n')}\n`,
      headers: { 'content-type': 'text/csv' },
    });
    const body = (await response.json()) as { error: { code: string; message: string; details: unknown[] } };
    assert.equal(response.status, 413, JSON.stringify(body));
    assert.equal(body.error.code, 'payload_too_large');
    assert.match(body.error.message, /UPLOAD_PARSE_MEMORY_MB/);
    assert.equal((await small.request('GET', '/healthz')).status, 200);
    assert.deepEqual((await small.request('GET', '/v1/datasets')).body.datasets, []);
    assert.deepEqual(await small.artifacts.children('uploads'), [], 'the received file is removed');
  } finally {
    await small.close();
  }
});
