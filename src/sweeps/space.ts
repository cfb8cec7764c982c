import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { seededRandom } from '../seeded-random.js';

/** The most trials one sweep may have, and so the most grid points it may name. */
export const MAX_SWEEP_TRIALS = 1000;
/** Bounds on what one request makes the API check: each choice value is checked against the base on its own. */
export const MAX_SPACE_PATHS = 16;
export const MAX_CHOICE_VALUES = 100;

export const ChoiceValueSchema = z.union([z.number(), z.string(), z.boolean(), z.array(z.number())]);
export type ChoiceValue = z.infer<typeof ChoiceValueSchema>;

/** How one argument varies: KerasTuner's Choice, Int and Float (linear or log sampling). */
export const DistributionSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('choice'), values: z.array(ChoiceValueSchema).min(1).max(MAX_CHOICE_VALUES) }).describe('one of the values'),
  z
    .strictObject({ type: z.literal('range'), min: z.number().int(), max: z.number().int(), step: z.number().int().positive().default(1) })
    .describe('an integer from min to max inclusive, every step'),
  z.strictObject({ type: z.literal('uniform'), min: z.number(), max: z.number() }).describe('a number from min to max; random search only'),
  z.strictObject({ type: z.literal('log_uniform'), min: z.number().positive(), max: z.number().positive() }).describe('a number from min to max, uniform in its logarithm; random search only'),
]);
export type Distribution = z.infer<typeof DistributionSchema>;

/** Where a sweep may vary its base: the model's layers and compile arguments, and fit's. */
const PATH = /^(architecture|compile|fit)(\.[A-Za-z_]\w*|\[\d+\])+$/;

export const SpaceSchema = z
  .record(z.string().regex(PATH, 'a path such as architecture.layers[0].units, compile.optimizer.learning_rate or fit.batch_size'), DistributionSchema)
  .refine((space) => Object.keys(space).length > 0, 'name at least one argument to vary')
  .refine((space) => Object.keys(space).length <= MAX_SPACE_PATHS, `at most ${MAX_SPACE_PATHS} arguments to vary`)
  .describe('argument path → how it varies; grid order follows the order of the keys, the last varying fastest');
export type Space = z.infer<typeof SpaceSchema>;

/** One trial's arguments: path → value. */
export type Point = Record<string, ChoiceValue>;

type Segment = string | number;

export function pathSegments(path: string): Segment[] {
  return [...path.matchAll(/([A-Za-z_]\w*)|\[(\d+)\]/g)].map((m) => (m[2] === undefined ? (m[1] ?? '') : Number(m[2])));
}

function child(container: unknown, segment: Segment): { found: boolean; value?: unknown } {
  if (typeof segment === 'number') {
    return Array.isArray(container) && segment < container.length ? { found: true, value: container[segment] } : { found: false };
  }
  if (container === null || typeof container !== 'object' || Array.isArray(container) || !Object.hasOwn(container, segment)) return { found: false };
  return { found: true, value: (container as Record<string, unknown>)[segment] };
}

/**
 * Every path of the space must name an argument the base sets: a misspelt
 * argument, or a layer index past the end, would otherwise vary nothing.
 */
export function checkPathsExist(base: Record<string, unknown>, space: Space): void {
  const details = [];
  for (const path of Object.keys(space)) {
    let at: unknown = base;
    for (const [i, segment] of pathSegments(path).entries()) {
      const next = child(at, segment);
      if (!next.found) {
        const where = pathSegments(path).slice(0, i + 1).map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('').slice(1);
        details.push({ path: `space.${path}`, message: `the base sets no ${where}; set the argument in the base (model, compile or fit) to vary it` });
        break;
      }
      at = next.value;
    }
  }
  if (details.length) throw ValidationError.of(details);
}

/** A copy of `base` with each of the point's paths set; `base` is left as it was. */
export function applyPoint<T extends Record<string, unknown>>(base: T, point: Point): T {
  const out = structuredClone(base);
  for (const [path, value] of Object.entries(point)) {
    const segments = pathSegments(path);
    let at: unknown = out;
    for (const segment of segments.slice(0, -1)) at = child(at, segment).value;
    const last = segments.at(-1);
    if (last === undefined || at === null || typeof at !== 'object') throw new TypeError(`${path} is not in the base`);
    (at as Record<Segment, unknown>)[last] = structuredClone(value);
  }
  return out;
}

function rangeValues(d: { min: number; max: number; step: number }): number[] {
  const values: number[] = [];
  for (let v = d.min; v <= d.max && values.length <= MAX_SWEEP_TRIALS; v += d.step) values.push(v);
  return values;
}

/** The values a grid takes for a distribution; continuous ones have none. */
function gridValues(d: Distribution): ChoiceValue[] | null {
  if (d.type === 'choice') return d.values;
  if (d.type === 'range') return rangeValues(d);
  return null;
}

/** Bounds that do not make a range are refused before anything else. */
export function checkDistributions(space: Space): void {
  const details = [];
  for (const [path, d] of Object.entries(space)) {
    if (d.type !== 'choice' && d.min > d.max) details.push({ path: `space.${path}`, message: `min ${d.min} is above max ${d.max}` });
  }
  if (details.length) throw ValidationError.of(details);
}

/** Every grid point, in order (the last path varying fastest), or a 400 for a continuous distribution or too many points. */
export function gridPoints(space: Space): Point[] {
  const dims = Object.entries(space).map(([path, d]) => {
    const values = gridValues(d);
    if (!values) throw ValidationError.at(`space.${path}`, `a grid takes only choice and range; ${d.type} is continuous: use the random strategy`);
    return { path, values };
  });
  const size = dims.reduce((n, d) => n * d.values.length, 1);
  if (size > MAX_SWEEP_TRIALS) throw ValidationError.at('space', `the grid has ${size} points; at most ${MAX_SWEEP_TRIALS}`);
  let points: Point[] = [{}];
  for (const { path, values } of dims) points = points.flatMap((p) => values.map((v) => ({ ...p, [path]: v })));
  return points;
}

function sample(d: Distribution, r: () => number): ChoiceValue {
  switch (d.type) {
    case 'choice':
      return d.values[Math.floor(r() * d.values.length)] as ChoiceValue;
    case 'range': {
      const count = Math.floor((d.max - d.min) / d.step) + 1;
      return d.min + d.step * Math.floor(r() * count);
    }
    case 'uniform':
      return d.min + r() * (d.max - d.min);
    case 'log_uniform':
      return Math.exp(Math.log(d.min) + r() * (Math.log(d.max) - Math.log(d.min)));
  }
}

/** `count` points drawn with the seed: the same seed gives the same points on every machine. */
export function randomPoints(space: Space, count: number, seed: number): Point[] {
  const r = seededRandom(seed);
  return Array.from({ length: count }, () => Object.fromEntries(Object.entries(space).map(([path, d]) => [path, sample(d, r)])));
}

/**
 * What random search must check beyond the points it drew: each value a
 * distribution can take at its edges (every choice, each range's and
 * interval's bounds), one path at a time over the base.
 */
export function edgePoints(space: Space): Point[] {
  return Object.entries(space).flatMap(([path, d]) => {
    const values = d.type === 'choice' ? d.values : d.type === 'range' ? [d.min, d.min + d.step * Math.floor((d.max - d.min) / d.step)] : [d.min, d.max];
    return values.map((value) => ({ [path]: value }));
  });
}

/** `path=value, ...`: how errors and logs name a point. */
export function describePoint(point: Point): string {
  return Object.entries(point)
    .map(([path, value]) => `${path}=${JSON.stringify(value)}`)
    .join(', ');
}
