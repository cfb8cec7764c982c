import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../../src/errors.js';
import { BUILTIN_DATASETS, BuiltinDatasetInfoSchema, loadBuiltin } from '../../src/datasets/builtins.js';
import { sampleShape } from '../../src/datasets/types.js';

function expectError(fn: () => unknown, path: string, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ValidationError);
    assert.equal(error.details[0]?.path, path);
    assert.match(error.message, message);
    return true;
  });
}

test('iris: 150 x 4 float32, class indices in the package order, feature names', () => {
  const iris = loadBuiltin('iris');
  assert.deepEqual(iris.x.shape, [150, 4]);
  assert.equal(iris.x.dtype, 'float32');
  assert.deepEqual(iris.y.shape, [150]);
  assert.equal(iris.y.dtype, 'int32');
  assert.deepEqual(iris.classNames, ['setosa', 'versicolor', 'virginica']);
  assert.deepEqual(iris.featureNames, ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
  assert.deepEqual(Array.from(iris.x.data.slice(0, 4)), [5.1, 3.5, 1.4, 0.2].map(Math.fround));
  assert.deepEqual(Array.from(iris.x.data.slice(400, 404)), [6.3, 3.3, 6.0, 2.5].map(Math.fround));
  const counts = [0, 0, 0];
  for (const c of iris.y.data) counts[c] = (counts[c] ?? 0) + 1;
  assert.deepEqual(counts, [50, 50, 50]);
  assert.deepEqual([iris.y.data[0], iris.y.data[50], iris.y.data[100]], [0, 1, 2]);
});

test('mnist test split: uint8 [n, 28, 28] images, int32 labels, digit class names', () => {
  const mnist = loadBuiltin('mnist', 'test', 5);
  assert.deepEqual(mnist.x.shape, [5, 28, 28]);
  assert.equal(mnist.x.dtype, 'uint8');
  assert.ok(mnist.x.data instanceof Uint8Array);
  assert.equal(mnist.x.data.length, 5 * 784);
  assert.deepEqual(mnist.y.shape, [5]);
  assert.equal(mnist.y.dtype, 'int32');
  assert.deepEqual(Array.from(mnist.y.data), [7, 2, 1, 0, 4]);
  assert.deepEqual(mnist.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  // Row 7 of the first test image, the top stroke of its 7.
  assert.deepEqual(Array.from(mnist.x.data.slice(7 * 28 + 6, 7 * 28 + 12)), [84, 185, 159, 151, 60, 36]);

  const full = loadBuiltin('mnist', 'test');
  assert.deepEqual(full.x.shape, [10000, 28, 28]);
  const counts = new Array<number>(10).fill(0);
  for (const label of full.y.data) counts[label] = (counts[label] ?? 0) + 1;
  assert.deepEqual(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
});

test('mnist train split: 60,000 rows, first labels 5 0 4 1 9', () => {
  const train = loadBuiltin('mnist');
  assert.deepEqual(train.x.shape, [60000, 28, 28]);
  assert.deepEqual(Array.from(train.y.data.subarray(0, 5)), [5, 0, 4, 1, 9]);
});

// sklearn's fetch_california_housing(): its first and last rows, and the mean of its target.
const HOUSING_FIRST = [8.3252, 41.0, 6.984127, 1.02381, 322.0, 2.555556, 37.88, -122.23];
const HOUSING_FIFTH = [3.8462, 52.0, 6.281853, 1.081081, 565.0, 2.181467, 37.85, -122.25];
const HOUSING_LAST = [2.3886, 16.0, 5.254717, 1.162264, 1387.0, 2.616981, 39.37, -121.24];

function row(data: ArrayLike<number>, i: number, width: number): number[] {
  return Array.from({ length: width }, (_, j) => data[i * width + j] as number);
}

test('california_housing: all 20,640 rows in the source order, features and target named as sklearn names them', () => {
  const all = loadBuiltin('california_housing');
  assert.deepEqual(all.x.shape, [20640, 8]);
  assert.equal(all.x.dtype, 'float32');
  assert.deepEqual(all.y.shape, [20640]);
  assert.equal(all.y.dtype, 'float32');
  assert.deepEqual(all.featureNames, ['MedInc', 'HouseAge', 'AveRooms', 'AveBedrms', 'Population', 'AveOccup', 'Latitude', 'Longitude']);
  assert.equal(all.classNames, undefined, 'a regression target has no classes');
  assert.deepEqual(row(all.x.data, 0, 8), HOUSING_FIRST.map(Math.fround));
  assert.deepEqual(row(all.x.data, 20639, 8), HOUSING_LAST.map(Math.fround));
  assert.deepEqual([all.y.data[0], all.y.data[20639]], [4.526, 0.894].map(Math.fround));
  const mean = Array.from(all.y.data).reduce((a, b) => a + b, 0) / 20640;
  assert.ok(Math.abs(mean - 2.0685581) < 1e-5, `target mean ${mean}`);
});

test('california_housing: test is every fifth row from the fifth (x[4::5]), train the rest, in order', () => {
  const all = loadBuiltin('california_housing', 'all');
  const train = loadBuiltin('california_housing', 'train');
  const test = loadBuiltin('california_housing', 'test');
  assert.deepEqual(train.x.shape, [16512, 8]);
  assert.deepEqual(test.x.shape, [4128, 8]);
  assert.deepEqual(train.y.shape, [16512]);
  assert.deepEqual(test.y.shape, [4128]);
  assert.deepEqual(train.featureNames, all.featureNames);
  assert.deepEqual(row(train.x.data, 0, 8), HOUSING_FIRST.map(Math.fround));
  assert.deepEqual(row(test.x.data, 0, 8), HOUSING_FIFTH.map(Math.fround));
  assert.deepEqual(row(train.x.data, 4, 8), row(all.x.data, 5, 8), 'train skips row 4, the first test row');
  assert.deepEqual(row(test.x.data, 4127, 8), HOUSING_LAST.map(Math.fround));
  for (let i = 0; i < 4128; i++) assert.equal(test.y.data[i], all.y.data[5 * i + 4]);
  for (let i = 0; i < 16512; i++) assert.equal(train.y.data[i], all.y.data[Math.floor(i / 4) * 5 + (i % 4)]);
  assert.equal(loadBuiltin('california_housing', 'test', 10).x.shape[0], 10);
});

test('a parsed split is cached: later loads share its buffers', () => {
  const a = loadBuiltin('mnist', 'test', 3);
  const b = loadBuiltin('mnist', 'test', 100_000);
  assert.equal(a.x.data.buffer, b.x.data.buffer);
  assert.equal(a.y.data.buffer, b.y.data.buffer);
  assert.equal(b.x.shape[0], 10000, 'a limit beyond the split takes all of it');
  assert.equal(loadBuiltin('iris', undefined, 10).x.shape[0], 10);
});

test('unknown names, splits and bad limits are 400s at their paths', () => {
  expectError(() => loadBuiltin('cifar10'), 'dataset.builtin', /unknown built-in dataset "cifar10"; expected one of iris, mnist, california_housing/);
  expectError(() => loadBuiltin('mnist', 'validation'), 'dataset.split', /mnist has no split "validation"; expected one of train, test/);
  expectError(() => loadBuiltin('iris', 'test'), 'dataset.split', /iris has no split "test"/);
  expectError(() => loadBuiltin('mnist', 'test', 0), 'dataset.limit', /positive integer, found 0/);
  expectError(() => loadBuiltin('mnist', 'test', 2.5), 'dataset.limit', /positive integer/);
  expectError(() => loadBuiltin('nope', undefined, undefined, 'evaluate.dataset'), 'evaluate.dataset.builtin', /unknown/);
});

test('BUILTIN_DATASETS describes what loadBuiltin returns', () => {
  assert.deepEqual(
    BUILTIN_DATASETS.map((d) => d.name),
    ['iris', 'mnist', 'california_housing'],
  );
  for (const info of BUILTIN_DATASETS) {
    BuiltinDatasetInfoSchema.parse(info);
    const ds = loadBuiltin(info.name, info.splits.at(-1)?.name, 2);
    assert.deepEqual(sampleShape(ds.x), info.x_shape);
    assert.deepEqual(sampleShape(ds.y), info.y_shape);
    assert.equal(ds.x.dtype, info.x_dtype);
    assert.equal(ds.y.dtype, info.y_dtype);
    assert.deepEqual(ds.classNames ?? [], info.class_names);
    assert.deepEqual(ds.featureNames, info.feature_names);
    for (const split of info.splits) assert.equal(loadBuiltin(info.name, split.name).x.shape[0], split.rows, `${info.name} ${split.name}`);
  }
  const mnist = BUILTIN_DATASETS.find((d) => d.name === 'mnist');
  assert.deepEqual(mnist?.splits, [
    { name: 'train', rows: 60000 },
    { name: 'test', rows: 10000 },
  ]);
});
