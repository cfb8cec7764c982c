import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ByteBudget, NpyReader, readNpy } from '../../src/datasets/npy-stream.js';
import { decodeNpy, encodeNpy, npyHeader } from '../../src/datasets/npy.js';
import { AppError, PayloadTooLargeError, ValidationError } from '../../src/errors.js';

const FIXTURES = new URL('../fixtures/numpy/', import.meta.url);
const NPY_FIXTURES = readdirSync(FIXTURES).filter((name) => name.endsWith('.npy'));

async function* inChunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** What reading `read` came to: the array and file, or the error's class, status, path and message. */
async function outcome(read: () => unknown): Promise<unknown> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { error: error.name, status: error.status, path: error.details[0]?.path, message: error.message };
  }
}

test('every fixture reads, in chunks of any size, as decodeNpy reads it whole: the same array, or the same refusal', async () => {
  assert.ok(NPY_FIXTURES.length >= 20);
  for (const name of NPY_FIXTURES) {
    const bytes = new Uint8Array(readFileSync(new URL(name, FIXTURES)));
    const whole = await outcome(() => {
      const array = decodeNpy(bytes, 'x');
      return { array, file: encodeNpy(array) };
    });
    // Cut short, and with bytes to spare: both are refused with the sizes found.
    const variants: [string, Uint8Array][] = [
      ['', bytes],
      [' cut short', bytes.subarray(0, bytes.length - 3)],
      [' with 5 bytes to spare', Buffer.concat([bytes, new Uint8Array(5)])],
    ];
    for (const [what, variant] of variants) {
      const expected = what === '' ? whole : await outcome(() => decodeNpy(variant, 'x'));
      for (const size of [1, 3, 7, 64, 1 << 16]) {
        const streamed = await outcome(async () => {
          const read = await readNpy(inChunks(variant, size), 'x', new ByteBudget(1 << 30));
          return what === '' ? { array: read.array, file: read.file } : read.array;
        });
        assert.deepEqual(streamed, expected, `${name}${what}, in chunks of ${size}`);
      }
    }
  }
});

test('the stored file is the array as np.save writes it, and the array a view of it', async () => {
  const bytes = new Uint8Array(readFileSync(new URL('float64.npy', FIXTURES)));
  const { array, file } = await readNpy(inChunks(bytes, 5), 'x', new ByteBudget(1 << 30));
  assert.deepEqual(file, encodeNpy(decodeNpy(bytes)));
  assert.equal(array.data.buffer, file.buffer, 'no second copy of the data');
});

test('a header declaring more data than the budget is a 413 before anything is allocated for it', () => {
  // 4 GB of float32 declared, and not one byte of it sent.
  const header = npyHeader({ shape: [1_000_000_000], dtype: 'float32' });
  const budget = new ByteBudget(1 << 20);
  const reader = new NpyReader('x', budget);
  assert.throws(() => reader.push(header), (error: unknown) => error instanceof PayloadTooLargeError && /x: the arrays.*more than the limit of 1048576 bytes/.test(error.message));

  // The budget is shared: two arrays within it one by one may exceed it together.
  const shared = new ByteBudget(1000);
  new NpyReader('x', shared).push(npyHeader({ shape: [200], dtype: 'float32' }));
  assert.throws(() => new NpyReader('y', shared).push(npyHeader({ shape: [201], dtype: 'float32' })), PayloadTooLargeError);
});

test('a header longer than any numpy writes is refused once its length is read', () => {
  const preamble = new Uint8Array(12);
  preamble.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
  new DataView(preamble.buffer).setUint32(8, 0x7fffffff, true);
  const reader = new NpyReader('x', new ByteBudget(1 << 30));
  assert.throws(
    () => reader.push(preamble),
    (error: unknown) => error instanceof ValidationError && error.message === 'x: not a valid .npy file: a header of 2147483647 bytes, where numpy writes a few hundred',
  );
  const notNpy = new NpyReader('x', new ByteBudget(1 << 30));
  assert.throws(() => notNpy.push(new Uint8Array(16)), /x: not a \.npy file/);
});
