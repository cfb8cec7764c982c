import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { serializedObject } from './serialized-object.js';

/** tfjs exports the initializer classes only as return types. */
export type TfInitializer = ReturnType<typeof tf.initializers.ones>;

const Seed = z.number().int().nullable().optional();
const VARIANCE_SCALING_TRUNCATION = 0.87962566103423978;

const InitializerObject = z.discriminatedUnion(
  'class_name',
  [
    serializedObject('GlorotUniform', z.strictObject({ seed: Seed })),
    serializedObject('GlorotNormal', z.strictObject({ seed: Seed })),
    serializedObject('HeUniform', z.strictObject({ seed: Seed })),
    serializedObject('HeNormal', z.strictObject({ seed: Seed })),
    serializedObject('LecunUniform', z.strictObject({ seed: Seed })),
    serializedObject('LecunNormal', z.strictObject({ seed: Seed })),
    serializedObject('Zeros', z.strictObject({})),
    serializedObject('Ones', z.strictObject({})),
    serializedObject('Constant', z.strictObject({ value: z.number().default(0) })),
    serializedObject('RandomNormal', z.strictObject({ mean: z.number().default(0), stddev: z.number().positive().default(0.05), seed: Seed })),
    serializedObject('RandomUniform', z.strictObject({ minval: z.number().default(-0.05), maxval: z.number().default(0.05), seed: Seed })),
    serializedObject('TruncatedNormal', z.strictObject({ mean: z.number().default(0), stddev: z.number().positive().default(0.05), seed: Seed })),
    serializedObject(['Orthogonal', 'OrthogonalInitializer'], z.strictObject({ gain: z.number().default(1), seed: Seed })),
    serializedObject(['Identity', 'IdentityInitializer'], z.strictObject({ gain: z.number().default(1) })),
    serializedObject('VarianceScaling', z.strictObject({
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
