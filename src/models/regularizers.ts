import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { serializedObject } from './serialized-object.js';

/** tfjs exports the regularizer classes only as return types. */
export type TfRegularizer = ReturnType<typeof tf.regularizers.l1>;

const Factor = z.number().nonnegative();

export const RegularizerSchema = z
  .union(
    [
      z.enum(['l1', 'l2', 'l1_l2', 'L1', 'L2', 'L1L2']),
      z.discriminatedUnion('class_name', [
        serializedObject('L1', z.strictObject({ l1: Factor.default(0.01) })),
        serializedObject('L2', z.strictObject({ l2: Factor.default(0.01) })),
        serializedObject('L1L2', z.strictObject({ l1: Factor.default(0), l2: Factor.default(0) })),
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
