import { ValidationError } from '../errors.js';
import { elementCount, formatShape, type Dataset, type NDArray } from './types.js';

/** Deeper nesting than any Keras input needs; the bound keeps the recursion below shallow. */
const MAX_RANK = 16;

function values(n: number): string {
  return n === 1 ? '1 value' : `${n} values`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array of ${values(value.length)}`;
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function pathOf(root: string, indices: readonly number[]): string {
  return root + indices.map((i) => `[${i}]`).join('');
}

/** The shape implied by following the first element down; stops at an empty array. */
function leadingShape(value: unknown): number[] {
  const shape: number[] = [];
  let node = value;
  while (Array.isArray(node) && shape.length <= MAX_RANK) {
    shape.push(node.length);
    if (node.length === 0) break;
    node = node[0];
  }
  return shape;
}

/**
 * Checks that every array above the leaves has the length `shape` asks for, before
 * anything is allocated: a long first row must not make a short payload allocate
 * as if every row were that long.
 */
function checkStructure(root: unknown, shape: readonly number[], rootPath: string): void {
  const indices: number[] = [];
  const visit = (node: unknown, depth: number): void => {
    const expected = shape[depth] as number;
    if (!Array.isArray(node)) {
      throw ValidationError.at(pathOf(rootPath, indices), `ragged: expected an array of ${values(expected)}, found ${describe(node)}`);
    }
    if (node.length !== expected) {
      throw ValidationError.at(pathOf(rootPath, indices), `ragged: expected ${values(expected)}, found ${node.length}`);
    }
    if (depth + 1 === shape.length) return;
    for (let i = 0; i < node.length; i++) {
      indices.push(i);
      visit(node[i], depth + 1);
      indices.pop();
    }
  };
  visit(root, 0);
}

/** Writes the leaves of an array whose structure `checkStructure` accepted, checking each is a finite number. */
function fillLeaves(root: unknown, rank: number, rootPath: string, out: Float32Array | Float64Array): void {
  const indices: number[] = [];
  let pos = 0;
  const errorAt = (i: number, message: string): ValidationError => ValidationError.at(pathOf(rootPath, [...indices, i]), message);
  const visit = (node: unknown[], depth: number): void => {
    if (depth + 1 < rank) {
      for (let i = 0; i < node.length; i++) {
        indices.push(i);
        visit(node[i] as unknown[], depth + 1);
        indices.pop();
      }
      return;
    }
    for (let i = 0; i < node.length; i++) {
      const v = node[i];
      if (typeof v !== 'number') {
        throw errorAt(i, `${Array.isArray(v) ? 'ragged: ' : ''}expected a number, found ${describe(v)}`);
      }
      if (!Number.isFinite(v)) throw errorAt(i, `expected a finite number, found ${v}`);
      out[pos++] = v;
    }
  };
  visit(root as unknown[], 0);
}

/** The rows of `value` as a shape, checked to be a non-empty, non-ragged array. */
function shapeOfRows(value: unknown, path: string): number[] {
  if (!Array.isArray(value)) throw ValidationError.at(path, `expected an array of samples, found ${describe(value)}`);
  if (value.length === 0) throw ValidationError.at(path, 'no rows: expected at least one sample');
  const shape = leadingShape(value);
  if (shape.length > MAX_RANK) throw ValidationError.at(path, `too deeply nested: at most ${MAX_RANK} dimensions`);
  const empty = shape.indexOf(0);
  if (empty >= 0) {
    throw ValidationError.at(pathOf(path, new Array<number>(empty).fill(0)), 'expected a non-empty array');
  }
  checkStructure(value, shape, path);
  return shape;
}

function isInt32(v: number): boolean {
  return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
}

/**
 * Nested JSON arrays → a dataset. `x` is always float32. `y` is int32 when every
 * value is an integer (class indices, as Keras's sparse losses take them), else
 * float32 (regression targets); a trainer casts int32 targets for a float loss.
 * A flat `x` stays one-dimensional (`[n]`), as the array it is.
 */
export function datasetFromInline(x: unknown, y: unknown, pathPrefix = 'dataset'): Dataset {
  const xPath = pathPrefix ? `${pathPrefix}.x` : 'x';
  const yPath = pathPrefix ? `${pathPrefix}.y` : 'y';
  const xShape = shapeOfRows(x, xPath);
  const yShape = shapeOfRows(y, yPath);
  if (xShape[0] !== yShape[0]) {
    throw ValidationError.at(yPath, `expected as many samples as x (${xShape[0]}), found ${yShape[0]}`);
  }

  const xData = new Float32Array(elementCount(xShape));
  fillLeaves(x, xShape.length, xPath, xData);

  const yValues = new Float64Array(elementCount(yShape));
  fillLeaves(y, yShape.length, yPath, yValues);
  const integral = yValues.every(isInt32);
  const yArray: NDArray = integral
    ? { data: Int32Array.from(yValues), shape: yShape, dtype: 'int32' }
    : { data: Float32Array.from(yValues), shape: yShape, dtype: 'float32' };

  return { x: { data: xData, shape: xShape, dtype: 'float32' }, y: yArray };
}

/**
 * A predict or inspect request's `instances` → float32 `[n, ...sampleShape]`.
 * A `null` in `expectedSampleShape` is a dimension Keras leaves free (`None`):
 * it takes its size from the first instance, and the others must agree.
 */
export function instancesToArray(
  instances: unknown,
  expectedSampleShape: readonly (number | null)[],
  path = 'instances',
): NDArray {
  if (!Array.isArray(instances)) throw ValidationError.at(path, `expected an array of instances, found ${describe(instances)}`);
  if (instances.length === 0) throw ValidationError.at(path, 'expected at least one instance');

  let expected: readonly (number | null)[] = expectedSampleShape;
  for (let i = 0; i < instances.length; i++) {
    const found = leadingShape(instances[i]);
    const fits = found.length === expected.length && expected.every((d, k) => d === null || d === found[k]);
    if (!fits) {
      const what = Array.isArray(instances[i]) ? formatShape(found) : `${formatShape([])} (${describe(instances[i])})`;
      throw ValidationError.at(`${path}[${i}]`, `expected each instance of shape ${formatShape(expected)}, found ${what}`);
    }
    if (i === 0) expected = found;
  }

  const shape = [instances.length, ...(expected as number[])];
  if (shape.includes(0)) throw ValidationError.at(`${path}[0]`, `expected a non-empty instance, found shape ${formatShape(expected)}`);
  checkStructure(instances, shape, path);
  const data = new Float32Array(elementCount(shape));
  fillLeaves(instances, shape.length, path, data);
  return { data, shape, dtype: 'float32' };
}
