import type { NDArray } from '../datasets/types.js';
import { ValidationError } from '../errors.js';

/** The Open Inference Protocol's datatypes a request may send, and what each accepts in JSON. */
const DATATYPES = {
  FP32: { what: 'a number', accepts: (v: unknown): v is number => typeof v === 'number' },
  FP64: { what: 'a number', accepts: (v: unknown): v is number => typeof v === 'number' },
  INT32: { what: 'an integer from -2147483648 to 2147483647', accepts: (v: unknown): v is number => Number.isInteger(v) && Math.abs(v as number) <= 2 ** 31 && v !== 2 ** 31 },
  INT64: { what: 'an integer', accepts: (v: unknown): v is number => Number.isSafeInteger(v) },
  UINT8: { what: 'an integer from 0 to 255', accepts: (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 255 },
  BOOL: { what: 'true or false', accepts: (v: unknown): v is boolean => typeof v === 'boolean' },
} as const;

type Datatype = keyof typeof DATATYPES;

const isDatatype = (name: string): name is Datatype => Object.hasOwn(DATATYPES, name);

export const V2_DATATYPES = Object.keys(DATATYPES) as Datatype[];

export interface V2Input {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}

const formatShape = (shape: readonly (number | null)[]): string => `[${shape.map((d) => d ?? -1).join(', ')}]`;

/**
 * One input tensor of an inference request as the float32 samples the model
 * takes: its shape checked against the model's (`-1` where any size fits),
 * its data flat or nested in row-major order, each value of its datatype.
 */
export function v2InputToArray(input: V2Input, sampleShape: readonly (number | null)[], path: string): NDArray {
  const { datatype, shape } = input;
  if (!isDatatype(datatype)) throw ValidationError.at(`${path}.datatype`, `unsupported datatype ${datatype}; this server accepts ${V2_DATATYPES.join(', ')}`);
  const expected = [-1, ...sampleShape.map((d) => d ?? -1)];
  const fits = shape.length === expected.length && expected.every((d, i) => d === -1 || d === shape[i]);
  if (!fits) throw ValidationError.at(`${path}.shape`, `expected shape ${formatShape(expected)}, found ${formatShape(shape)}`);
  const count = shape.reduce((product, d) => product * d, 1);
  if (count === 0) throw ValidationError.at(`${path}.shape`, `expected at least one element, found shape ${formatShape(shape)}`);

  const out = new Float32Array(count);
  const { what, accepts } = DATATYPES[datatype];
  let next = 0;
  // Nested arrays are read in row-major order, so flat and nested data fill the same elements.
  const fill = (values: readonly unknown[]): void => {
    for (const value of values) {
      if (Array.isArray(value)) {
        fill(value);
        continue;
      }
      if (next >= count) return;
      if (!accepts(value)) throw ValidationError.at(`${path}.data`, `element ${next}: expected ${what} for ${datatype}, found ${JSON.stringify(value) ?? typeof value}`);
      out[next++] = typeof value === 'boolean' ? Number(value) : value;
    }
  };
  fill(input.data);
  const found = countLeaves(input.data);
  if (found !== count) throw ValidationError.at(`${path}.data`, `shape ${formatShape(shape)} holds ${count} elements, found ${found}`);
  return { data: out, shape: [...shape], dtype: 'float32' };
}

function countLeaves(values: readonly unknown[]): number {
  let n = 0;
  for (const value of values) n += Array.isArray(value) ? countLeaves(value) : 1;
  return n;
}
