import { ValidationError } from '../errors.js';
import { elementCount, type DType, type NDArray } from './types.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
/** numpy leaves room for the first axis to grow to this many digits (np.lib.format.GROWTH_AXIS_MAX_DIGITS). */
const GROWTH_AXIS_MAX_DIGITS = 21;

export interface Kind {
  /** numpy's name for the dtype, as users write it. */
  name: string;
  bytes: number;
  read: (view: DataView, offset: number, little: boolean) => number;
  dtype: DType;
  /** Integers wider than int32 are narrowed only when every value fits. */
  narrowsInt?: boolean;
}

// Keyed by numpy's type character and item size ('f4'); the byte order is read separately.
// float64 becomes float32, as tf.tensor would narrow it anyway.
const KINDS: Record<string, Kind> = {
  f4: { name: 'float32', bytes: 4, read: (v, o, le) => v.getFloat32(o, le), dtype: 'float32' },
  f8: { name: 'float64', bytes: 8, read: (v, o, le) => v.getFloat64(o, le), dtype: 'float32' },
  i1: { name: 'int8', bytes: 1, read: (v, o) => v.getInt8(o), dtype: 'int32' },
  i2: { name: 'int16', bytes: 2, read: (v, o, le) => v.getInt16(o, le), dtype: 'int32' },
  i4: { name: 'int32', bytes: 4, read: (v, o, le) => v.getInt32(o, le), dtype: 'int32' },
  i8: { name: 'int64', bytes: 8, read: (v, o, le) => Number(v.getBigInt64(o, le)), dtype: 'int32', narrowsInt: true },
  u1: { name: 'uint8', bytes: 1, read: (v, o) => v.getUint8(o), dtype: 'uint8' },
  u2: { name: 'uint16', bytes: 2, read: (v, o, le) => v.getUint16(o, le), dtype: 'int32' },
  u4: { name: 'uint32', bytes: 4, read: (v, o, le) => v.getUint32(o, le), dtype: 'int32', narrowsInt: true },
  u8: { name: 'uint64', bytes: 8, read: (v, o, le) => Number(v.getBigUint64(o, le)), dtype: 'int32', narrowsInt: true },
  b1: { name: 'bool', bytes: 1, read: (v, o) => v.getUint8(o), dtype: 'uint8' },
};

const SUPPORTED = 'float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64 or bool';

/** numpy's name for a refused dtype code, so the message says what the user saved. */
function refusedName(code: string): string {
  if (code === 'f2') return 'float16 arrays';
  if (code.startsWith('f')) return 'longdouble arrays';
  const names: Record<string, string> = { c: 'complex', U: 'string (str)', S: 'bytes', M: 'datetime64', m: 'timedelta64', V: 'void' };
  const name = names[code[0] ?? ''];
  return name ? `${name} arrays` : 'arrays';
}

export interface Header {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  dataStart: number;
}

/** Reads the Python dict literal numpy writes; only the three keys the format defines matter. */
function parseHeaderDict(text: string, path: string): Omit<Header, 'dataStart'> {
  const bad = (what: string): ValidationError => ValidationError.at(path, `not a valid .npy file: ${what} in header ${JSON.stringify(text.trim())}`);

  const descrKey = /['"]descr['"]\s*:\s*/.exec(text);
  if (!descrKey) throw bad("no 'descr'");
  const afterDescr = text.slice(descrKey.index + descrKey[0].length);
  if (afterDescr.startsWith('[')) {
    throw ValidationError.at(path, 'structured arrays (record dtypes with named fields) are not supported; save each field as its own array');
  }
  const descr = afterDescr.match(/^(['"])([^'"]*)\1/)?.[2];
  if (descr === undefined) throw bad("unreadable 'descr'");

  const fortran = text.match(/['"]fortran_order['"]\s*:\s*(True|False)/)?.[1];
  if (fortran === undefined) throw bad("no 'fortran_order'");

  const shapeText = text.match(/['"]shape['"]\s*:\s*\(([^)]*)\)/)?.[1];
  if (shapeText === undefined) throw bad("no 'shape'");
  const shape: number[] = [];
  for (const part of shapeText.split(',')) {
    const dim = part.trim();
    if (dim === '') continue;
    // Python 2 wrote long integers with an L suffix.
    if (!/^\d+L?$/.test(dim)) throw bad(`shape entry ${JSON.stringify(dim)}`);
    shape.push(Number.parseInt(dim, 10));
  }
  return { descr, fortranOrder: fortran === 'True', shape };
}

/** The magic string and the format version; where the header's text starts, and how long it is when `bytes` says. */
export function readPreamble(bytes: Uint8Array, view: DataView, path: string): { major: number; start: number; headerLength: number | undefined } {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw ValidationError.at(path, 'not a .npy file: it does not start with \\x93NUMPY (save it with np.save)');
  }
  const major = bytes[6] as number;
  if (major < 1 || major > 3) throw ValidationError.at(path, `unsupported .npy format version ${major}.${bytes[7] as number}; expected 1.0, 2.0 or 3.0`);
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start) return { major, start, headerLength: undefined };
  return { major, start, headerLength: major === 1 ? view.getUint16(8, true) : view.getUint32(8, true) };
}

/** The header at the start of `bytes`, which must hold it whole (a shorter prefix is refused as truncated). */
export function readHeader(bytes: Uint8Array, view: DataView, path: string): Header {
  const { major, start, headerLength } = readPreamble(bytes, view, path);
  if (headerLength === undefined) throw ValidationError.at(path, 'not a valid .npy file: truncated header');
  const dataStart = start + headerLength;
  if (bytes.length < dataStart) {
    throw ValidationError.at(path, `not a valid .npy file: header of ${headerLength} bytes, found ${bytes.length - start}`);
  }
  // Version 3.0 exists only to allow UTF-8 field names; earlier versions are latin-1.
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, dataStart));
  return { ...parseHeaderDict(text, path), dataStart };
}

export function kindOf(descr: string, path: string): { kind: Kind; little: boolean } {
  const order = descr[0];
  const code = order === '<' || order === '>' || order === '|' || order === '=' ? descr.slice(1) : descr;
  const kind = KINDS[code];
  if (code === 'O') {
    throw ValidationError.at(path, 'object arrays (dtype=object) are not supported; convert to a numeric dtype, e.g. a.astype(np.float32)');
  }
  if (!kind) {
    throw ValidationError.at(path, `${refusedName(code)} (descr '${descr}') are not supported; expected ${SUPPORTED}`);
  }
  // '>' is big-endian; '<', '|' (byte-sized) and '=' (native; every host numpy writes from is little-endian in practice) read as little.
  return { kind, little: order !== '>' };
}

function fitsInt32(v: number): boolean {
  return v >= -2147483648 && v <= 2147483647;
}

/** The element at `offset`, flat index `index`, as the dtype it is stored as; a value that does not fit it is refused. */
export function readElement(view: DataView, offset: number, index: number, kind: Kind, little: boolean, path: string): number {
  const v = kind.read(view, offset, little);
  if (kind.narrowsInt && !fitsInt32(v)) {
    // Past 2**53 a number is rounded; the message shows the exact integer.
    const exact = kind.name === 'int64' ? view.getBigInt64(offset, little) : kind.name === 'uint64' ? view.getBigUint64(offset, little) : v;
    throw ValidationError.at(path, `${kind.name} value ${exact} at flat index ${index} does not fit in int32, the integer dtype TensorFlow.js trains on`);
  }
  if (kind.name === 'float64' && Number.isFinite(v) && !Number.isFinite(Math.fround(v))) {
    throw ValidationError.at(path, `float64 value ${v} at flat index ${index} is outside float32's range`);
  }
  return v;
}

function convert(view: DataView, start: number, count: number, kind: Kind, little: boolean, path: string): NDArray['data'] {
  const out = kind.dtype === 'float32' ? new Float32Array(count) : kind.dtype === 'int32' ? new Int32Array(count) : new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = readElement(view, start + i * kind.bytes, i, kind, little, path);
  return out;
}

/**
 * The 4-byte words from `start` on: a view over the input when its offset allows,
 * else over a copy (made by hand: Buffer#slice would share, not copy).
 */
function wordArray(bytes: Uint8Array, start: number, dtype: 'float32' | 'int32'): Float32Array | Int32Array {
  let buffer = bytes.buffer;
  let offset = bytes.byteOffset + start;
  if (offset % 4 !== 0) {
    const copy = new Uint8Array(bytes.length - start);
    copy.set(bytes.subarray(start));
    buffer = copy.buffer;
    offset = 0;
  }
  const length = (bytes.length - start) / 4;
  return dtype === 'float32' ? new Float32Array(buffer, offset, length) : new Int32Array(buffer, offset, length);
}

export function checkFinite(data: Float32Array, path: string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (!Number.isFinite(v)) throw ValidationError.at(path, `expected finite numbers, found ${v} at flat index ${i}; drop or fill missing values first`);
  }
}

/**
 * A NumPy `.npy` file (format 1.0, 2.0 or 3.0) → an array in C order. uint8 and bool
 * data, and little-endian float32 or int32 data at a 4-byte-aligned offset, are views
 * over `bytes` (no copy); other dtypes are converted. `path` names the array in errors.
 */
export function decodeNpy(bytes: Uint8Array, path = 'x'): NDArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = readHeader(bytes, view, path);
  const { kind, little } = kindOf(header.descr, path);
  if (header.fortranOrder && header.shape.length > 1) {
    throw ValidationError.at(path, 'Fortran-order arrays are not supported; save with np.ascontiguousarray(a)');
  }
  const { shape, dataStart } = header;
  const count = elementCount(shape);
  const dataBytes = bytes.length - dataStart;
  if (dataBytes !== count * kind.bytes) {
    throw ValidationError.at(path, `not a valid .npy file: shape (${shape.join(', ')}) of ${kind.name} needs ${count * kind.bytes} bytes of data, found ${dataBytes}`);
  }

  let data: NDArray['data'];
  if (kind.bytes === 1 && kind.dtype === 'uint8') {
    // A plain Uint8Array even over a Node Buffer, whose slice() shares rather than copies.
    data = new Uint8Array(bytes.buffer, bytes.byteOffset + dataStart, count);
  } else if (little && (kind.name === 'float32' || kind.name === 'int32')) {
    data = wordArray(bytes, dataStart, kind.dtype === 'float32' ? 'float32' : 'int32');
  } else {
    data = convert(view, dataStart, count, kind, little, path);
  }
  if (data instanceof Float32Array) checkFinite(data, path);
  return { data, shape, dtype: kind.dtype };
}

const DESCR: Record<DType, string> = { float32: '<f4', int32: '<i4', uint8: '|u1' };

/** numpy's header for `a`, byte for byte as np.save writes it (format 1.0). */
export function npyHeader(a: Pick<NDArray, 'shape' | 'dtype'>): Uint8Array {
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(', ')})`;
  let dict = `{'descr': '${DESCR[a.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  if (a.shape.length > 0) dict += ' '.repeat(GROWTH_AXIS_MAX_DIGITS - String(a.shape[0]).length);
  const unpadded = 10 + dict.length + 1;
  const padding = ALIGN - (unpadded % ALIGN);
  const text = `${dict}${' '.repeat(padding)}\n`;
  if (text.length > 0xffff) throw new RangeError(`a .npy 1.0 header holds at most 65535 bytes; shape ${shape} needs ${text.length}`);
  const out = new Uint8Array(10 + text.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, text.length, true);
  for (let i = 0; i < text.length; i++) out[10 + i] = text.charCodeAt(i);
  return out;
}

/** Bytes `encodeNpy(a)` will take, without encoding it. */
export function npyByteLength(a: NDArray): number {
  return npyHeader(a).length + a.data.byteLength;
}

/**
 * An array → a `.npy` file (format 1.0, C order, little-endian) that np.load reads
 * back as the same dtype and shape; the same bytes np.save writes.
 */
export function encodeNpy(a: NDArray): Uint8Array {
  const count = elementCount(a.shape);
  if (a.data.length !== count) throw new RangeError(`shape [${a.shape.join(', ')}] needs ${count} elements, found ${a.data.length}`);
  const header = npyHeader(a);
  const out = new Uint8Array(header.length + a.data.byteLength);
  out.set(header, 0);
  // Typed arrays use the host's byte order, little-endian on every platform Node ships for but s390x.
  out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), header.length);
  return out;
}
