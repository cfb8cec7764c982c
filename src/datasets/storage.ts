import { createHash } from 'node:crypto';
import { z } from 'zod';
import { decodeNpy, encodeNpy, npyByteLength } from './npy.js';
import { rowCount, type Dataset, type DType, type NDArray } from './types.js';

/** The names that travel with the arrays; everything else is in the .npy files. */
const MetaSchema = z
  .object({
    class_names: z.array(z.string()).nullable(),
    feature_names: z.array(z.string()).nullable(),
  })
  .strict();

/** What the registry records about a stored dataset, bar its id, name, checksum and artifact key. */
export interface DatasetDescription {
  rows: number;
  x_shape: number[];
  y_shape: number[];
  x_dtype: DType;
  y_dtype: DType;
  class_names: string[] | null;
  column_names: string[] | null;
  /** Total size of the files `encodeDataset` writes. */
  bytes: number;
}

function encodeMeta(ds: Dataset): Uint8Array {
  const meta: z.infer<typeof MetaSchema> = { class_names: ds.classNames ?? null, feature_names: ds.featureNames ?? null };
  return new TextEncoder().encode(JSON.stringify(meta));
}

/** A dataset as the files it is kept in: `x.npy`, `y.npy` (np.load reads them) and `meta.json` (names only). */
export function encodeDataset(ds: Dataset): Record<string, Uint8Array> {
  return { 'x.npy': encodeNpy(ds.x), 'y.npy': encodeNpy(ds.y), 'meta.json': encodeMeta(ds) };
}

/** Stored files come from this service: a flaw in them is a server fault, not a client's. */
function corrupt(file: string, reason: string): Error {
  return new Error(`stored dataset: ${file} ${reason}`);
}

function readArray(files: Record<string, Uint8Array>, name: 'x' | 'y'): NDArray {
  const file = `${name}.npy`;
  const bytes = files[file];
  if (!bytes) throw corrupt(file, 'is missing');
  try {
    return decodeNpy(bytes, file);
  } catch (e) {
    throw corrupt(file, `is unreadable: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The inverse of `encodeDataset`: the same data, dtypes, shapes and names. */
export function decodeDataset(files: Record<string, Uint8Array>): Dataset {
  const x = readArray(files, 'x');
  const y = readArray(files, 'y');
  if (rowCount(x) !== rowCount(y)) throw corrupt('y.npy', `has ${rowCount(y)} rows, x.npy ${rowCount(x)}`);

  const metaBytes = files['meta.json'];
  if (!metaBytes) throw corrupt('meta.json', 'is missing');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(metaBytes));
  } catch (e) {
    throw corrupt('meta.json', `is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const meta = MetaSchema.safeParse(parsed);
  if (!meta.success) throw corrupt('meta.json', `is not a dataset's metadata: ${meta.error.message}`);

  const ds: Dataset = { x, y };
  if (meta.data.class_names) ds.classNames = meta.data.class_names;
  if (meta.data.feature_names) ds.featureNames = meta.data.feature_names;
  return ds;
}

/** The registry's view of a dataset, computed without encoding the arrays. */
export function describeDataset(ds: Dataset): DatasetDescription {
  return {
    rows: rowCount(ds.x),
    x_shape: [...ds.x.shape],
    y_shape: [...ds.y.shape],
    x_dtype: ds.x.dtype,
    y_dtype: ds.y.dtype,
    class_names: ds.classNames ?? null,
    column_names: ds.featureNames ?? null,
    bytes: npyByteLength(ds.x) + npyByteLength(ds.y) + encodeMeta(ds).length,
  };
}

/**
 * sha256 (hex) over a folder of files: each file's name, byte length and bytes, in
 * name order, so neither the order the files were listed in nor a byte moved from
 * one file to the next goes unnoticed.
 */
export function checksumOf(files: Record<string, Uint8Array>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(files).sort()) {
    const bytes = files[name] as Uint8Array;
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(bytes.length));
    hash.update(name, 'utf8').update(Buffer.from([0])).update(size).update(bytes);
  }
  return hash.digest('hex');
}

/** A dataset as it goes into the store: its files, what the registry records of it, and their checksum. */
export interface EncodedDataset {
  files: Record<string, Uint8Array>;
  description: DatasetDescription;
  checksum: string;
}

export function encodeForStore(ds: Dataset): EncodedDataset {
  return storeWithNpyFiles(ds, { x: encodeNpy(ds.x), y: encodeNpy(ds.y) });
}

/**
 * `encodeForStore` for arrays that were read straight into their .npy files
 * (npy-stream.ts): those files are stored as they are, not encoded again.
 */
export function storeWithNpyFiles(ds: Dataset, npy: { x: Uint8Array; y: Uint8Array }): EncodedDataset {
  const files = { 'x.npy': npy.x, 'y.npy': npy.y, 'meta.json': encodeMeta(ds) };
  return { files, description: describeDataset(ds), checksum: checksumOf(files) };
}
