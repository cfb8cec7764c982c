import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ValidationError } from '../../errors.js';

/** A per-sample shape: Keras's shape without the batch dimension. */
export type Shape = number[];

/** What a layer does to shapes: its output shape and its weights' sizes. */
export interface Inferred {
  shape: Shape;
  params: number;
  /** Weights that training never changes (BatchNormalization's moving statistics). */
  nonTrainableParams?: number;
}

/** The arguments every tfjs layer takes from the definition, not from its own config. */
export interface BaseArgs {
  name: string;
  trainable: boolean;
  /** Given to a Sequential model's first layer, which makes tfjs add the InputLayer that Keras hides. */
  inputShape?: number[];
}

/**
 * One catalogue entry, type-erased so that entries of every layer type fit one
 * table. `defineLayer` is the only place that narrows the config back.
 */
export interface LayerEntry {
  readonly type: string;
  readonly schema: z.ZodObject;
  /** Merge layers (Add, Concatenate) take a list of inputs; every other layer one. */
  readonly merge: boolean;
  infer(config: object, inputs: Shape[], path: string): Inferred;
  /** `output` is the shape `infer` found, for layers whose tfjs form wants it spelled out. */
  create(config: object, base: BaseArgs, output: Shape): tf.layers.Layer;
}

export function defineLayer<S extends z.ZodObject>(spec: {
  schema: S;
  merge?: boolean;
  infer: (config: z.output<S>, inputs: Shape[], path: string) => Inferred;
  create: (config: z.output<S>, base: BaseArgs, output: Shape) => tf.layers.Layer;
}): LayerEntry {
  const type = (spec.schema.shape as { type?: z.ZodLiteral<string> }).type?.value;
  if (typeof type !== 'string') throw new Error('a layer schema needs a literal `type`');
  return {
    type,
    schema: spec.schema,
    merge: spec.merge ?? false,
    // Safe: the catalogue hands an entry only configs that its own schema parsed.
    infer: (config, inputs, path) => spec.infer(config as z.output<S>, inputs, path),
    create: (config, base, output) => spec.create(config as z.output<S>, base, output),
  };
}

// ---------------------------------------------------------------- shapes

const POSITIVE_INT = 'must be a positive integer';
export const PositiveInt = z
  .number({ error: POSITIVE_INT })
  .int({ error: POSITIVE_INT })
  .positive({ error: POSITIVE_INT })
  .max(Number.MAX_SAFE_INTEGER);

export const ShapeSchema = z
  .array(PositiveInt, { error: 'a shape is a list of positive integers (None dimensions are not supported)' })
  .min(1)
  .max(8);

/** Keras's `None` batch dimension followed by the sample's dimensions. */
export const BatchShapeSchema = z
  .tuple([z.null({ error: 'a fixed batch size is not supported: the batch dimension must be null' })], PositiveInt)
  .refine((shape) => shape.length >= 2, { message: 'a batch shape needs the batch dimension and at least one more' });

/** `(None, 28, 28, 1)`: shapes as Keras prints them. */
export function formatShape(shape: readonly (number | null)[]): string {
  return `(${['None', ...shape.map((d) => (d === null ? 'None' : String(d)))].join(', ')})`;
}

export function formatTuple(values: readonly number[]): string {
  return values.length === 1 ? `(${values[0]},)` : `(${values.join(', ')})`;
}

export function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * b, 1);
}

/** An int or a tuple of `n` ints, as Keras's `kernel_size`, `strides`, `pool_size` are. */
export function intOrTuple(n: number) {
  return z.union([PositiveInt, z.array(PositiveInt).length(n)], {
    error: `expected a positive integer or a list of ${n} positive integers`,
  });
}

export function toTuple(value: number | readonly number[], n: number): number[] {
  return typeof value === 'number' ? Array.from({ length: n }, () => value) : [...value];
}

export function ones(n: number): number[] {
  return Array.from({ length: n }, () => 1);
}

/** Throws the error a user sees when an input has the wrong rank. */
export function expectRank(type: string, input: Shape, rank: number, layout: string, path: string): void {
  if (input.length + 1 !== rank) {
    throw ValidationError.at(path, `${type} expects input of rank ${rank} ${layout}, found ${formatShape(input)}`);
  }
}

export function only(inputs: Shape[]): Shape {
  const [input] = inputs;
  if (!input || inputs.length !== 1) throw new Error('a single-input layer got a list of inputs');
  return input;
}

/**
 * A Keras axis (counted with the batch dimension, negative from the end) as an
 * index into the per-sample shape; the batch axis is refused.
 */
export function sampleAxis(axis: number, rank: number, path: string, type: string): number {
  const full = axis < 0 ? rank + 1 + axis : axis;
  if (full === 0) throw ValidationError.at(path, `${type} cannot work along the batch axis (axis ${axis})`);
  if (full < 0 || full > rank) {
    throw ValidationError.at(path, `axis ${axis} is out of range for input of rank ${rank + 1}`);
  }
  return full - 1;
}

// ---------------------------------------------------------------- bookkeeping every layer accepts

export const LayerName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, { message: 'a layer name uses letters, digits, _ . - only' });

const DTypePolicy = z.strictObject({
  module: z.string().optional(),
  class_name: z.literal(['DTypePolicy', 'Policy']),
  config: z.strictObject({ name: z.literal('float32') }),
  registered_name: z.string().nullable().optional(),
});

/** Keys Keras writes on every layer; only the values tfjs can honour are accepted. */
export const baseKeys = {
  name: LayerName.optional(),
  trainable: z.boolean().default(true),
  dtype: z
    .union([z.literal('float32'), z.null(), DTypePolicy], { error: 'modelyard computes in float32 only' })
    .optional(),
};


// ---------------------------------------------------------------- initializers

/** tfjs exports the initializer and regularizer classes only as return types. */
export type TfInitializer = ReturnType<typeof tf.initializers.ones>;
export type TfRegularizer = ReturnType<typeof tf.regularizers.l1>;

const Seed = z.number().int().nullable().optional();
const VARIANCE_SCALING_TRUNCATION = 0.87962566103423978;

function initializerObject<const N extends string, S extends z.ZodObject>(names: N | readonly N[], config: S) {
  const literals: readonly N[] = typeof names === 'string' ? [names] : names;
  return z.strictObject({
    class_name: z.literal(literals),
    config: config.prefault({} as z.input<S>),
    module: z.string().optional(),
    registered_name: z.string().nullable().optional(),
  });
}

const InitializerObject = z.discriminatedUnion(
  'class_name',
  [
    initializerObject('GlorotUniform', z.strictObject({ seed: Seed })),
    initializerObject('GlorotNormal', z.strictObject({ seed: Seed })),
    initializerObject('HeUniform', z.strictObject({ seed: Seed })),
    initializerObject('HeNormal', z.strictObject({ seed: Seed })),
    initializerObject('LecunUniform', z.strictObject({ seed: Seed })),
    initializerObject('LecunNormal', z.strictObject({ seed: Seed })),
    initializerObject('Zeros', z.strictObject({})),
    initializerObject('Ones', z.strictObject({})),
    initializerObject('Constant', z.strictObject({ value: z.number().default(0) })),
    initializerObject('RandomNormal', z.strictObject({ mean: z.number().default(0), stddev: z.number().positive().default(0.05), seed: Seed })),
    initializerObject('RandomUniform', z.strictObject({ minval: z.number().default(-0.05), maxval: z.number().default(0.05), seed: Seed })),
    initializerObject('TruncatedNormal', z.strictObject({ mean: z.number().default(0), stddev: z.number().positive().default(0.05), seed: Seed })),
    initializerObject(['Orthogonal', 'OrthogonalInitializer'], z.strictObject({ gain: z.number().default(1), seed: Seed })),
    initializerObject(['Identity', 'IdentityInitializer'], z.strictObject({ gain: z.number().default(1) })),
    initializerObject('VarianceScaling', z.strictObject({
      scale: z.number().positive().default(1),
      mode: z.enum(['fan_in', 'fan_out', 'fan_avg']).default('fan_in'),
      distribution: z
        .enum(['truncated_normal', 'normal', 'uniform'], {
          error: (issue) =>
            issue.input === 'untruncated_normal'
              ? 'distribution "untruncated_normal" is not available in TensorFlow.js'
              : 'expected "truncated_normal" or "uniform"',
        })
        .default('truncated_normal'),
      seed: Seed,
    })),
  ],
  {
    error: (issue) => {
      if (issue.code !== 'invalid_union') return undefined;
      const name = (issue.input as { class_name?: unknown } | undefined)?.class_name;
      return `unknown or unsupported initializer class ${JSON.stringify(name)}`;
    },
  },
);

const INITIALIZER_NAMES = {
  glorot_uniform: 'GlorotUniform',
  GlorotUniform: 'GlorotUniform',
  glorot_normal: 'GlorotNormal',
  GlorotNormal: 'GlorotNormal',
  he_uniform: 'HeUniform',
  HeUniform: 'HeUniform',
  he_normal: 'HeNormal',
  HeNormal: 'HeNormal',
  lecun_uniform: 'LecunUniform',
  LecunUniform: 'LecunUniform',
  lecun_normal: 'LecunNormal',
  LecunNormal: 'LecunNormal',
  zeros: 'Zeros',
  zero: 'Zeros',
  Zeros: 'Zeros',
  ones: 'Ones',
  one: 'Ones',
  Ones: 'Ones',
  constant: 'Constant',
  Constant: 'Constant',
  random_normal: 'RandomNormal',
  normal: 'RandomNormal',
  RandomNormal: 'RandomNormal',
  random_uniform: 'RandomUniform',
  uniform: 'RandomUniform',
  RandomUniform: 'RandomUniform',
  truncated_normal: 'TruncatedNormal',
  TruncatedNormal: 'TruncatedNormal',
  orthogonal: 'Orthogonal',
  Orthogonal: 'Orthogonal',
  identity: 'Identity',
  Identity: 'Identity',
  variance_scaling: 'VarianceScaling',
  VarianceScaling: 'VarianceScaling',
} as const;

type InitializerName = keyof typeof INITIALIZER_NAMES;

export const InitializerSchema = z.union(
  [
    z.enum(Object.keys(INITIALIZER_NAMES) as [InitializerName, ...InitializerName[]]),
    InitializerObject,
  ],
  {
    error: (issue) =>
      typeof issue.input === 'string' ? `unknown or unsupported initializer "${issue.input}"` : undefined,
  },
);
export type InitializerSpec = z.output<typeof InitializerSchema>;

/**
 * The tfjs initializer that draws what Keras's would. tfjs's truncated-normal
 * variance scaling (glorot_normal, he_normal, lecun_normal) omits Keras's
 * correction for the truncation, so its spread is 12% narrower; scaling
 * `scale` by 1/0.8796² gives Keras's distribution with tfjs's own class.
 */
export function initializer(spec: InitializerSpec): TfInitializer {
  const object = typeof spec === 'string' ? InitializerObject.parse({ class_name: INITIALIZER_NAMES[spec] }) : spec;
  const seed = (config: { seed?: number | null | undefined }) => (config.seed == null ? {} : { seed: config.seed });
  const truncated = (scale: number, mode: 'fanIn' | 'fanOut' | 'fanAvg', config: { seed?: number | null | undefined }) =>
    tf.initializers.varianceScaling({
      scale: scale / VARIANCE_SCALING_TRUNCATION ** 2,
      mode,
      distribution: 'normal',
      ...seed(config),
    });
  switch (object.class_name) {
    case 'GlorotUniform':
      return tf.initializers.glorotUniform(seed(object.config));
    case 'GlorotNormal':
      return truncated(1, 'fanAvg', object.config);
    case 'HeUniform':
      return tf.initializers.heUniform(seed(object.config));
    case 'HeNormal':
      return truncated(2, 'fanIn', object.config);
    case 'LecunUniform':
      return tf.initializers.leCunUniform(seed(object.config));
    case 'LecunNormal':
      return truncated(1, 'fanIn', object.config);
    case 'Zeros':
      return tf.initializers.zeros();
    case 'Ones':
      return tf.initializers.ones();
    case 'Constant':
      return tf.initializers.constant({ value: object.config.value });
    case 'RandomNormal':
      return tf.initializers.randomNormal({ mean: object.config.mean, stddev: object.config.stddev, ...seed(object.config) });
    case 'RandomUniform':
      return tf.initializers.randomUniform({ minval: object.config.minval, maxval: object.config.maxval, ...seed(object.config) });
    case 'TruncatedNormal':
      return tf.initializers.truncatedNormal({ mean: object.config.mean, stddev: object.config.stddev, ...seed(object.config) });
    case 'Orthogonal':
    case 'OrthogonalInitializer':
      return tf.initializers.orthogonal({ gain: object.config.gain, ...seed(object.config) });
    case 'Identity':
    case 'IdentityInitializer':
      return tf.initializers.identity({ gain: object.config.gain });
    case 'VarianceScaling': {
      const { scale, mode, distribution } = object.config;
      const tfMode = ({ fan_in: 'fanIn', fan_out: 'fanOut', fan_avg: 'fanAvg' } as const)[mode];
      if (distribution === 'uniform') {
        return tf.initializers.varianceScaling({ scale, mode: tfMode, distribution: 'uniform', ...seed(object.config) });
      }
      return truncated(scale, tfMode, object.config);
    }
  }
}

/** The class an initializer spec names, for checks that depend on it (Identity needs a square kernel). */
export function initializerClass(spec: InitializerSpec): string {
  return typeof spec === 'string' ? INITIALIZER_NAMES[spec] : spec.class_name;
}

// ---------------------------------------------------------------- regularizers and constraints

function regularizerObject<const N extends string, S extends z.ZodObject>(name: N, config: S) {
  return initializerObject(name, config);
}

const Factor = z.number().nonnegative();

export const RegularizerSchema = z
  .union(
    [
      z.enum(['l1', 'l2', 'l1_l2', 'L1', 'L2', 'L1L2']),
      z.discriminatedUnion('class_name', [
        regularizerObject('L1', z.strictObject({ l1: Factor.default(0.01) })),
        regularizerObject('L2', z.strictObject({ l2: Factor.default(0.01) })),
        regularizerObject('L1L2', z.strictObject({ l1: Factor.default(0), l2: Factor.default(0) })),
      ]),
    ],
    { error: (issue) => (typeof issue.input === 'string' ? `unknown or unsupported regularizer "${issue.input}"` : undefined) },
  )
  .nullable()
  .default(null);
export type RegularizerSpec = z.output<typeof RegularizerSchema>;

/** Keras's factors: `l1`/`l2` 0.01; `l1_l2` 0 and 0 (tfjs's own defaults differ, so they are always passed). */
export function regularizer(spec: RegularizerSpec): TfRegularizer | undefined {
  if (spec === null) return undefined;
  if (typeof spec === 'string') {
    if (spec === 'l1' || spec === 'L1') return tf.regularizers.l1({ l1: 0.01 });
    if (spec === 'l2' || spec === 'L2') return tf.regularizers.l2({ l2: 0.01 });
    return tf.regularizers.l1l2({ l1: 0, l2: 0 });
  }
  switch (spec.class_name) {
    case 'L1':
      return tf.regularizers.l1({ l1: spec.config.l1 });
    case 'L2':
      return tf.regularizers.l2({ l2: spec.config.l2 });
    case 'L1L2':
      return tf.regularizers.l1l2({ l1: spec.config.l1, l2: spec.config.l2 });
  }
}

/** tfjs refuses to call a layer that has an activity regularizer. */
export const ActivityRegularizerSchema = z
  .null({ error: 'activity regularizers are not supported by TensorFlow.js' })
  .default(null);

/**
 * Weight constraints exist in tfjs but its optimizers never apply them during
 * fit, so accepting one would silently train without it.
 */
export const ConstraintSchema = z
  .null({ error: 'weight constraints are not applied by TensorFlow.js during training; only null is accepted' })
  .default(null);
