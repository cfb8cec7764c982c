import { elementCount, type NDArray } from './types.js';

/** A byte sequence that is not a well-formed IDX file (the format MNIST ships in). */
export class IdxFormatError extends Error {
  override name = 'IdxFormatError';
}

interface IdxType {
  name: string;
  bytes: number;
  read: (view: DataView, offset: number) => number;
  dtype: 'uint8' | 'int32' | 'float32';
}

// Type codes from the IDX specification; multi-byte values are big-endian.
// Signed and wide types become int32 or float32, the dtypes TensorFlow.js trains on
// (float64 is narrowed, as tf.tensor would narrow it anyway).
const TYPES: Record<number, IdxType> = {
  0x08: { name: 'unsigned byte', bytes: 1, read: (v, o) => v.getUint8(o), dtype: 'uint8' },
  0x09: { name: 'signed byte', bytes: 1, read: (v, o) => v.getInt8(o), dtype: 'int32' },
  0x0b: { name: 'short', bytes: 2, read: (v, o) => v.getInt16(o, false), dtype: 'int32' },
  0x0c: { name: 'int', bytes: 4, read: (v, o) => v.getInt32(o, false), dtype: 'int32' },
  0x0d: { name: 'float', bytes: 4, read: (v, o) => v.getFloat32(o, false), dtype: 'float32' },
  0x0e: { name: 'double', bytes: 8, read: (v, o) => v.getFloat64(o, false), dtype: 'float32' },
};

/**
 * Parses an uncompressed IDX file. Unsigned-byte data (MNIST's images and labels)
 * is returned as a view over `bytes`, without a copy; other types are converted.
 */
export function parseIdx(bytes: Uint8Array): NDArray {
  if (bytes.length < 4) throw new IdxFormatError(`expected at least a 4-byte header, found ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0, false) !== 0) {
    throw new IdxFormatError('bad magic number: the first two bytes must be zero');
  }
  const code = view.getUint8(2);
  const type = TYPES[code];
  if (!type) throw new IdxFormatError(`unknown data type code 0x${code.toString(16).padStart(2, '0')}`);
  const rank = view.getUint8(3);
  if (rank === 0) throw new IdxFormatError('expected at least one dimension, found 0');

  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new IdxFormatError(`expected a ${headerBytes}-byte header for ${rank} dimensions, found ${bytes.length} bytes`);
  }
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i, false));

  const count = elementCount(shape);
  const dataBytes = bytes.length - headerBytes;
  if (dataBytes !== count * type.bytes) {
    throw new IdxFormatError(
      `shape [${shape.join(', ')}] of ${type.name}s needs ${count * type.bytes} bytes of data, found ${dataBytes}`,
    );
  }

  if (code === 0x08) return { data: bytes.subarray(headerBytes), shape, dtype: 'uint8' };
  const data = type.dtype === 'float32' ? new Float32Array(count) : new Int32Array(count);
  for (let i = 0; i < count; i++) data[i] = type.read(view, headerBytes + i * type.bytes);
  return { data, shape, dtype: type.dtype };
}
