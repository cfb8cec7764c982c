import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Zip, ZipDeflate } from 'fflate';
import { loadDataset } from '../../src/registry/dataset-loader.js';
import { startService, type TestService } from '../support/service.js';
import { uploadWatchingHealth } from '../support/upload-watch.js';

const FEATURES = 8;
const ROWS = 2_000_000;
const BATCH = 50_000;
/** What the service stores: x as float32, y as int32. */
const STORED_MB = (ROWS * FEATURES * 4 + ROWS * 4) / 2 ** 20;
/**
 * The stored arrays, plus what a parser thread costs to start (its heap, and run from source, tsx's
 * compiler in it: about 90 MB here). The archive's arrays inflate to twice the stored size (float64,
 * int64); reading the file whole, inflating every member, converting and then encoding the arrays
 * held all of those at once, and grew RSS by 385 MB.
 */
const RSS_GROWTH_BOUND_MB = STORED_MB + 160;

// Multiples of 1/8, so the float32 the service stores is the value written.
const feature = (row: number, column: number): number => ((row * 31 + column * 17) % 4000) / 8;

/** numpy's header for a C-order array of `descr` (format 1.0), as np.save writes it. */
function header(descr: string, shape: number[]): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const padding = 64 - ((10 + dict.length + 1) % 64);
  const text = `${dict}${' '.repeat(padding)}\n`;
  const out = new Uint8Array(10 + text.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, text.length, true);
  out.set(Buffer.from(text, 'latin1'), 10);
  return out;
}

let service: TestService;
let folder: string;
let file: string;

before(async () => {
  service = await startService({ workers: 0 });
  folder = mkdtempSync(join(tmpdir(), 'modelyard-upload-'));
  file = join(folder, 'large.npz');
  // Written as it is zipped, so writing it holds no more than one batch either.
  const fd = openSync(file, 'w');
  const zip = new Zip((error, data) => {
    if (error) throw error;
    writeSync(fd, data);
  });
  const x = new ZipDeflate('x.npy', { level: 1 });
  zip.add(x);
  x.push(header('<f8', [ROWS, FEATURES]));
  for (let start = 0; start < ROWS; start += BATCH) {
    const values = new Float64Array(BATCH * FEATURES);
    for (let i = 0; i < BATCH; i++) for (let j = 0; j < FEATURES; j++) values[i * FEATURES + j] = feature(start + i, j);
    x.push(new Uint8Array(values.buffer));
  }
  x.push(new Uint8Array(0), true);
  const y = new ZipDeflate('y.npy', { level: 1 });
  zip.add(y);
  y.push(header('<i8', [ROWS]));
  for (let start = 0; start < ROWS; start += BATCH) y.push(new Uint8Array(BigInt64Array.from({ length: BATCH }, (_, i) => BigInt((start + i) % 3)).buffer));
  y.push(new Uint8Array(0), true);
  zip.end();
  closeSync(fd);
});

after(async () => {
  await service.close();
  rmSync(folder, { recursive: true, force: true });
});

test('a large .npz streams into the stored arrays off the event loop: /healthz answers throughout, memory grows with the stored arrays only', async (t) => {
  const size = statSync(file).size;
  const upload = await uploadWatchingHealth(`${service.url}/v1/datasets/npz?name=large`, file, 'application/zip');
  const uploaded = upload.body as { id: string; rows: number; x_shape: number[]; y_shape: number[]; x_dtype: string; y_dtype: string };
  t.diagnostic(
    `${(size / 2 ** 20).toFixed(1)} MB .npz (${STORED_MB.toFixed(0)} MB stored): /healthz answered ${upload.answers} times (${upload.answersWhileParsing} after the body was sent), ` +
      `slowest ${upload.maxLatencyMs.toFixed(1)} ms; RSS grew ${upload.rssGrowthMb.toFixed(0)} MB at most`,
  );

  assert.equal(upload.status, 201, JSON.stringify(uploaded));
  assert.ok(upload.answersWhileParsing >= 10, `/healthz answered only ${upload.answersWhileParsing} times while the upload was parsed`);
  assert.ok(upload.rssGrowthMb < RSS_GROWTH_BOUND_MB, `RSS grew ${upload.rssGrowthMb.toFixed(0)} MB for ${STORED_MB.toFixed(0)} MB of stored arrays (bound ${RSS_GROWTH_BOUND_MB.toFixed(0)} MB)`);

  assert.equal(uploaded.rows, ROWS);
  assert.deepEqual([uploaded.x_shape, uploaded.y_shape, uploaded.x_dtype, uploaded.y_dtype], [[FEATURES], [], 'float32', 'int32']);
  const stored = await loadDataset({ datasets: service.stores.datasets, artifacts: service.artifacts }, { id: uploaded.id });
  for (const row of [0, 1, ROWS / 2 + 7, ROWS - 1]) {
    assert.deepEqual(Array.from(stored.x.data.subarray(row * FEATURES, (row + 1) * FEATURES)), Array.from({ length: FEATURES }, (_, j) => feature(row, j)));
    assert.equal(stored.y.data[row], row % 3);
  }
  assert.equal((await service.request('DELETE', `/v1/datasets/${uploaded.id}`)).status, 204);
});
