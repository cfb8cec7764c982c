import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';
import { AppError, joinPath, ValidationError } from '../errors.js';
import { ByteBudget, NpyReader, type StoredNpy } from './npy-stream.js';
import { formatShape, rowCount, type Dataset, type NDArray } from './types.js';

/**
 * Bytes handed to the unzipper at a time. Inflating a piece yields at most
 * about a thousand times as much, so this bounds what one step holds.
 */
const PIECE_BYTES = 16 * 1024;

/** The arrays a dataset is made of, the others in an archive being read past. */
const DATASET_ARRAYS = ['x', 'y'] as const;
type DatasetArray = (typeof DATASET_ARRAYS)[number];

function isDatasetArray(name: string): name is DatasetArray {
  return (DATASET_ARRAYS as readonly string[]).includes(name);
}

/** A dataset read from an upload, with the .npy files its arrays were read into. */
export interface StoredArrays {
  dataset: Dataset;
  npy: { x: Uint8Array; y: Uint8Array };
}

/**
 * An `.npz` archive (`np.savez` or `np.savez_compressed`) read as it arrives:
 * its `x.npy` and `y.npy` members are inflated piece by piece into their
 * arrays (`NpyReader`), other members are inflated and dropped, so nothing
 * but the two arrays grows with the archive. Errors and messages are those of
 * `decodeNpy` (for each array) and `datasetFromArrays`; the arrays' declared sizes
 * together are capped at `maxBytes`, and no member can expand past its declared size.
 */
export async function readNpzDataset(chunks: AsyncIterable<Uint8Array>, path: string, maxBytes: number): Promise<StoredArrays> {
  const notZip = (): ValidationError => ValidationError.at(path, 'not an .npz (zip) file; save it with np.savez or np.savez_compressed');
  const budget = new ByteBudget(maxBytes);
  const names: string[] = [];
  const read: Partial<Record<DatasetArray, StoredNpy>> = {};
  // fflate calls back inside `push`, and catches what its callbacks throw: the first failure waits here.
  let failure: unknown;
  const fail = (error: unknown): void => {
    failure ??= error instanceof AppError ? error : notZip();
  };

  const unzip = new Unzip((file: UnzipFile) => {
    if (!file.name.endsWith('.npy')) {
      file.ondata = () => undefined;
      file.start();
      return;
    }
    const name = file.name.slice(0, -'.npy'.length);
    names.push(name);
    if (!isDatasetArray(name)) {
      file.ondata = () => undefined;
      file.start();
      return;
    }
    const reader = new NpyReader(joinPath(path, name), budget);
    file.ondata = (error, data, final) => {
      if (failure !== undefined) return;
      if (error) return fail(error);
      try {
        reader.push(data);
        if (final) read[name] = reader.end();
      } catch (thrown) {
        fail(thrown);
      }
    };
    file.start();
  });
  unzip.register(UnzipInflate);

  const push = (piece: Uint8Array, final: boolean): void => {
    try {
      unzip.push(piece, final);
    } catch (error) {
      fail(error);
    }
    if (failure !== undefined) throw failure;
  };
  // The archive's first bytes, until there are enough to tell a zip.
  let opening: Uint8Array | undefined = new Uint8Array(0);
  for await (const chunk of chunks) {
    let bytes = chunk;
    if (opening) {
      bytes = Buffer.concat([opening, chunk]);
      if (bytes.length < 4) {
        opening = bytes;
        continue;
      }
      if (!isZipStart(bytes)) throw notZip();
      opening = undefined;
    }
    for (let at = 0; at < bytes.length; at += PIECE_BYTES) push(bytes.subarray(at, at + PIECE_BYTES), false);
  }
  if (opening) throw notZip();
  push(new Uint8Array(0), true);

  if (names.length === 0) throw ValidationError.at(path, 'the .npz file holds no .npy arrays');
  const arrays: Record<string, NDArray> = {};
  for (const name of DATASET_ARRAYS) {
    const array = read[name]?.array;
    if (array) arrays[name] = array;
  }
  const dataset = datasetFromArrays(arrays, path, names);
  return { dataset, npy: { x: (read.x as StoredNpy).file, y: (read.y as StoredNpy).file } };
}

/** A local file header, or the end record of an empty archive. */
function isZipStart(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

/**
 * Arrays named `x` and `y` → a dataset, dtypes as saved (uint8 images stay uint8).
 * Other arrays are left out: an archive may carry more than the dataset.
 * `found` names every array there was, for the message when x or y is missing.
 */
export function datasetFromArrays(arrays: Record<string, NDArray>, path = '', found = Object.keys(arrays)): Dataset {
  const get = (name: 'x' | 'y'): NDArray => {
    const a = arrays[name];
    if (!a) {
      const names = found.length > 0 ? found.join(', ') : 'none';
      throw ValidationError.at(joinPath(path, name), `missing: a dataset needs arrays named x and y (np.savez(f, x=..., y=...)); found ${names}`);
    }
    if (a.shape.length === 0) throw ValidationError.at(joinPath(path, name), 'expected an array of samples, found a scalar (shape ())');
    return a;
  };
  const x = get('x');
  const y = get('y');
  if (rowCount(x) === 0) throw ValidationError.at(joinPath(path, 'x'), `no rows: expected at least one sample, found shape ${formatShape(x.shape)}`);
  if (rowCount(y) !== rowCount(x)) {
    throw ValidationError.at(joinPath(path, 'y'), `expected as many samples as x (${rowCount(x)}), found ${rowCount(y)} (shape ${formatShape(y.shape)})`);
  }
  return { x, y };
}
