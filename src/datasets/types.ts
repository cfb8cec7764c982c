export type DType = 'float32' | 'int32' | 'uint8';

export type TypedArray = Float32Array | Int32Array | Uint8Array;

/** A dense array in C order; `shape[0]` is the sample axis. */
export interface NDArray {
  data: TypedArray;
  shape: number[];
  dtype: DType;
}

export interface Dataset {
  x: NDArray;
  y: NDArray;
  /** Label names by class index, when `y` holds class indices. */
  classNames?: string[];
  featureNames?: string[];
}

export function allocate(dtype: DType, length: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'uint8':
      return new Uint8Array(length);
  }
}

export const DTYPE_BYTES: Readonly<Record<DType, number>> = { float32: 4, int32: 4, uint8: 1 };

/** `length` elements of `dtype` over `buffer` from byte `offset`: a view, no copy. */
export function viewOf(dtype: DType, buffer: ArrayBuffer, offset: number, length: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, offset, length);
    case 'int32':
      return new Int32Array(buffer, offset, length);
    case 'uint8':
      return new Uint8Array(buffer, offset, length);
  }
}

/** Number of elements in an array of `shape`; 1 for a scalar shape `[]`. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function rowCount(a: NDArray): number {
  return a.shape[0] ?? 0;
}

/** The shape of one sample, as Keras's `input_shape`. */
export function sampleShape(a: NDArray): number[] {
  return a.shape.slice(1);
}

/** Elements per sample: the features that preprocessing standardizes one by one. */
export function sampleSize(a: NDArray): number {
  return elementCount(a.shape.slice(1));
}

/** `[28, 28]` → `"[28, 28]"`, as error messages show shapes. */
export function formatShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')}]`;
}

/** Rows `[start, end)` sharing the buffer of `a` (no copy): mutating one mutates both. */
export function sliceRows(a: NDArray, start: number, end: number): NDArray {
  const n = rowCount(a);
  const from = Math.max(0, Math.min(start, n));
  const to = Math.max(from, Math.min(end, n));
  const size = sampleSize(a);
  return { data: a.data.subarray(from * size, to * size), shape: [to - from, ...a.shape.slice(1)], dtype: a.dtype };
}

/** A new array holding the rows at `indices`, in that order (a shuffle or a fold). */
export function gatherRows(a: NDArray, indices: ArrayLike<number>): NDArray {
  const n = rowCount(a);
  const size = sampleSize(a);
  const out = allocate(a.dtype, indices.length * size);
  for (let i = 0; i < indices.length; i++) {
    const row = indices[i] as number;
    if (!Number.isInteger(row) || row < 0 || row >= n) {
      throw new RangeError(`row index ${row} is outside [0, ${n})`);
    }
    out.set(a.data.subarray(row * size, (row + 1) * size), i * size);
  }
  return { data: out, shape: [indices.length, ...a.shape.slice(1)], dtype: a.dtype };
}

function withArrays(ds: Dataset, x: NDArray, y: NDArray): Dataset {
  const out: Dataset = { x, y };
  if (ds.classNames) out.classNames = ds.classNames;
  if (ds.featureNames) out.featureNames = ds.featureNames;
  return out;
}

/** Rows `[start, end)` of both x and y, as views; names carried over. */
export function sliceDataset(ds: Dataset, start: number, end: number): Dataset {
  return withArrays(ds, sliceRows(ds.x, start, end), sliceRows(ds.y, start, end));
}

/** The rows at `indices` of both x and y, copied; names carried over. */
export function gatherDataset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  return withArrays(ds, gatherRows(ds.x, indices), gatherRows(ds.y, indices));
}
