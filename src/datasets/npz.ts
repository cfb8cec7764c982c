import { unzipSync } from 'fflate';
import { joinPath, PayloadTooLargeError, ValidationError } from '../errors.js';
import { decodeNpy } from './npy.js';
import { formatShape, rowCount, type Dataset, type NDArray } from './types.js';

export interface NpzOptions {
  /** Where the archive sits in the request, prefixed to each array's name in errors. */
  path?: string;
  /**
   * Largest total of the arrays' sizes as the archive declares them; a compressed
   * upload may expand far beyond its own size.
   */
  maxBytes?: number;
}

function isZip(bytes: Uint8Array): boolean {
  // A local file header, or the end record of an empty archive.
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

/**
 * `np.savez` / `np.savez_compressed` output → its arrays by name (`x.npy` → `x`).
 * Members that are not `.npy` files (a folder, a `__MACOSX/` entry) are skipped.
 */
export function decodeNpz(bytes: Uint8Array, options: NpzOptions = {}): Record<string, NDArray> {
  const path = options.path ?? '';
  const notZip = (): ValidationError => ValidationError.at(path, 'not an .npz (zip) file; save it with np.savez or np.savez_compressed');
  if (!isZip(bytes)) throw notZip();

  let declared = 0;
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes, {
      filter: (file) => {
        if (!file.name.endsWith('.npy')) return false;
        declared += file.originalSize;
        if (options.maxBytes !== undefined && declared > options.maxBytes) {
          throw new PayloadTooLargeError(`the .npz arrays come to more than the limit of ${options.maxBytes} bytes`);
        }
        return true;
      },
    });
  } catch (e) {
    if (e instanceof PayloadTooLargeError) throw e;
    throw notZip();
  }

  const arrays: Record<string, NDArray> = {};
  for (const [name, data] of Object.entries(members)) {
    const key = name.slice(0, -'.npy'.length);
    arrays[key] = decodeNpy(data, joinPath(path, key));
  }
  if (Object.keys(arrays).length === 0) throw ValidationError.at(path, 'the .npz file holds no .npy arrays');
  return arrays;
}

/**
 * Arrays named `x` and `y` → a dataset, dtypes as saved (uint8 images stay uint8).
 * Other arrays are left out: an archive may carry more than the dataset.
 */
export function datasetFromArrays(arrays: Record<string, NDArray>, path = ''): Dataset {
  const found = Object.keys(arrays);
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
