import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeNpy, encodeNpy, npyByteLength } from '../../src/datasets/npy.js';
import type { NDArray } from '../../src/datasets/types.js';
import { ValidationError } from '../../src/errors.js';

// Written by scripts/make-numpy-fixtures.py with numpy; expected.json holds what numpy saved.
function fixture(name: string): Uint8Array {
  return readFileSync(new URL(`../fixtures/numpy/${name}`, import.meta.url));
}

interface Expected {
  descr: string;
  shape: number[];
  values: (number | boolean)[];
}
const expected = JSON.parse(new TextDecoder().decode(fixture('expected.json'))) as Record<string, Expected>;

function refuses(fn: () => unknown, path: string, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    assert.equal(error.status, 400);
    assert.equal(error.details[0]?.path, path);
    assert.ok(error.message.startsWith(`${path}: `), error.message);
    assert.match(error.message, message);
    return true;
  });
}

/** The dtype a numpy descr becomes: floats float32, bytes and bools uint8, other integers int32. */
function dtypeFor(descr: string): NDArray['dtype'] {
  if (descr.slice(1, 2) === 'f') return 'float32';
  return descr === '|u1' || descr === '|b1' ? 'uint8' : 'int32';
}

test('every dtype numpy wrote decodes to the values numpy saved', () => {
  const files = Object.keys(expected).filter((name) => name.endsWith('.npy'));
  assert.ok(files.length >= 13, `only ${files.length} fixtures`);
  for (const name of files) {
    const want = expected[name] as Expected;
    const a = decodeNpy(fixture(name), name);
    assert.equal(a.dtype, dtypeFor(want.descr), name);
    assert.deepEqual(a.shape, want.shape, name);
    // float64 narrows to float32, the rounding Math.fround does; -0 stays -0 (deepEqual tells them apart).
    const values = want.values.map((v) => (typeof v === 'boolean' ? Number(v) : a.dtype === 'float32' ? Math.fround(v) : v));
    assert.deepEqual(Array.from(a.data), values, name);
  }
});

test('typed arrays match the dtype', () => {
  assert.ok(decodeNpy(fixture('float64.npy')).data instanceof Float32Array);
  assert.ok(decodeNpy(fixture('int64.npy')).data instanceof Int32Array);
  assert.ok(decodeNpy(fixture('bool.npy')).data instanceof Uint8Array);
  assert.ok(decodeNpy(fixture('int32-be.npy')).data instanceof Int32Array);
});

test('encodeNpy writes the bytes np.save writes', () => {
  for (const name of ['float32.npy', 'int32.npy', 'uint8.npy', 'scalar.npy', 'empty.npy', 'v3.npy']) {
    const bytes = fixture(name);
    const reencoded = encodeNpy(decodeNpy(bytes, name));
    // v3.npy was written as format 3.0; the re-encoding is 1.0 with the same data.
    if (name === 'v3.npy') assert.deepEqual(Array.from(decodeNpy(reencoded).data), [5, 6]);
    else assert.deepEqual(Buffer.from(reencoded), Buffer.from(bytes), name);
  }
});

test('round trip is exact for each dtype and rank, the header 64-byte aligned', () => {
  const arrays: NDArray[] = [
    { data: Float32Array.from([0.1, -3.25e-20, 7e30, -0]), shape: [2, 2], dtype: 'float32' },
    { data: Int32Array.from([-2147483648, 2147483647, 5]), shape: [3], dtype: 'int32' },
    { data: Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 10), shape: [2, 3, 4], dtype: 'uint8' },
    { data: Float32Array.from([1.5]), shape: [], dtype: 'float32' },
    { data: new Float32Array(0), shape: [0, 5], dtype: 'float32' },
    { data: new Uint8Array(123456), shape: [123456], dtype: 'uint8' },
  ];
  for (const a of arrays) {
    const bytes = encodeNpy(a);
    assert.equal(bytes.length, npyByteLength(a));
    const headerLength = new DataView(bytes.buffer).getUint16(8, true);
    assert.equal((10 + headerLength) % 64, 0);
    const back = decodeNpy(bytes);
    assert.deepEqual(back, { data: a.data, shape: a.shape, dtype: a.dtype });
  }
});

test('uint8, bool and aligned float32/int32 data are views over the input; unaligned data is copied', () => {
  const u8 = fixture('uint8.npy');
  assert.equal(decodeNpy(u8).data.buffer, u8.buffer);
  const bools = fixture('bool.npy');
  assert.equal(decodeNpy(bools).data.buffer, bools.buffer);

  const f32 = fixture('float32.npy');
  assert.equal(decodeNpy(f32).data.buffer, f32.buffer);
  const i32 = fixture('int32.npy');
  assert.equal(decodeNpy(i32).data.buffer, i32.buffer);

  // Inside a larger buffer at an odd offset, as a pooled Node Buffer may be.
  const outer = new Uint8Array(f32.length + 3);
  outer.set(f32, 3);
  const shifted = decodeNpy(outer.subarray(3));
  assert.notEqual(shifted.data.buffer, outer.buffer);
  assert.deepEqual(shifted, decodeNpy(f32));
  // Buffer#slice shares memory: the copy must still hold only this array's data.
  const pooled = Buffer.alloc(f32.length + 9, 0xff);
  pooled.set(f32, 1);
  const fromBuffer = decodeNpy(pooled.subarray(1, 1 + f32.length));
  assert.deepEqual(fromBuffer, decodeNpy(f32));
  assert.equal(fromBuffer.data.byteLength, 24);
  const aligned = new Uint8Array(f32.length + 4);
  aligned.set(f32, 4);
  assert.equal(decodeNpy(aligned.subarray(4)).data.buffer, aligned.buffer);
});

test('Fortran order, object, string, float16 and structured arrays are refused by name', () => {
  refuses(() => decodeNpy(fixture('fortran.npy')), 'x', /^x: Fortran-order arrays are not supported; save with np\.ascontiguousarray/);
  refuses(() => decodeNpy(fixture('object.npy'), 'dataset.x'), 'dataset.x', /object arrays \(dtype=object\) are not supported/);
  refuses(() => decodeNpy(fixture('unicode.npy'), 'y'), 'y', /string \(str\) arrays \(descr '<U9'\) are not supported; expected float32, float64/);
  refuses(() => decodeNpy(fixture('float16.npy')), 'x', /float16 arrays \(descr '<f2'\)/);
  refuses(() => decodeNpy(fixture('structured.npy')), 'x', /structured arrays/);
  const odd = Uint8Array.from(fixture('float32.npy'));
  odd.set(new TextEncoder().encode('<x4'), 10 + "{'descr': '".length);
  refuses(() => decodeNpy(odd), 'x', /^x: arrays \(descr '<x4'\) are not supported; expected float32, float64, int8/);
});

test('a 1-D array marked Fortran order is the same as C order and is accepted', () => {
  const bytes = Uint8Array.from(encodeNpy({ data: Float32Array.from([1, 2, 3]), shape: [3], dtype: 'float32' }));
  const text = new TextDecoder('latin1').decode(bytes.subarray(10, 80));
  const at = 10 + text.indexOf('False');
  bytes.set(new TextEncoder().encode('True '), at);
  assert.match(new TextDecoder('latin1').decode(bytes.subarray(10, 80)), /'fortran_order': True ,/);
  assert.deepEqual(Array.from(decodeNpy(bytes).data), [1, 2, 3]);
});

test('NaN, infinity and values past float32 range are refused with the flat index', () => {
  refuses(() => decodeNpy(fixture('float32-nan.npy'), 'x'), 'x', /expected finite numbers, found NaN at flat index 4/);
  refuses(() => decodeNpy(fixture('float64-inf.npy'), 'y'), 'y', /found -Infinity at flat index 1/);
  refuses(() => decodeNpy(fixture('float64-huge.npy')), 'x', /float64 value 1e\+300 at flat index 1 is outside float32's range/);
});

test('int64 values beyond int32 are refused, the exact value named', () => {
  refuses(() => decodeNpy(fixture('int64-big.npy'), 'y'), 'y', /int64 value 1099511627776 at flat index 2 does not fit in int32/);
});

test('malformed files are refused with the reason', () => {
  const good = fixture('float32.npy');
  refuses(() => decodeNpy(new TextEncoder().encode('a,b\n1,2\n')), 'x', /not a \.npy file: it does not start with \\x93NUMPY/);
  refuses(() => decodeNpy(good.subarray(0, good.length - 1)), 'x', /needs 24 bytes of data, found 23/);
  refuses(() => decodeNpy(good.subarray(0, 40)), 'x', /header of 118 bytes, found 30/);
  const v4 = Uint8Array.from(good);
  v4[6] = 4;
  refuses(() => decodeNpy(v4), 'x', /unsupported \.npy format version 4\.0/);
  const noShape = Uint8Array.from(good);
  noShape.set(new TextEncoder().encode("'shap_'"), 10 + new TextDecoder('latin1').decode(good.subarray(10, 128)).indexOf("'shape'"));
  refuses(() => decodeNpy(noShape), 'x', /no 'shape'/);
});
