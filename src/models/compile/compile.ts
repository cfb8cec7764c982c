import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { Fn } from './functions.js';
import { LossSchema, canonicalLoss, tfjsLoss } from './losses.js';
import { MetricSchema, metricFunction, metricKey } from './metrics.js';
import { OptimizerSchema, createOptimizer } from './optimizers.js';

export const CompileSchema = z.strictObject({
  optimizer: OptimizerSchema,
  loss: LossSchema,
  metrics: z
    .array(MetricSchema)
    .default([])
    .superRefine((metrics, ctx) => {
      const seen = new Set<string>();
      metrics.forEach((name, i) => {
        const key = metricKey(name);
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i], message: `metric "${key}" is listed twice` });
        seen.add(key);
      });
    }),
});
export type CompileSpec = z.output<typeof CompileSchema>;

function named(name: string, fn: Fn): Fn {
  // tfjs names a function metric's logs after the function.
  const wrapper: Fn = (yTrue, yPred) => tf.tidy(() => fn(yTrue, yPred));
  Object.defineProperty(wrapper, 'name', { value: name });
  return wrapper;
}

/**
 * Compiles as Keras's `model.compile` would. The optimizer is created here,
 * so the model is told it owns it and disposes it with itself.
 */
export function compileModel(model: tf.LayersModel, spec: CompileSpec): void {
  const loss = canonicalLoss(spec.loss);
  const lossFn = tfjsLoss(loss);
  model.compile({
    optimizer: createOptimizer(spec.optimizer),
    loss: typeof lossFn === 'string' ? lossFn : named(loss, lossFn),
    metrics: spec.metrics.map((name) => named(metricKey(name), metricFunction(name))),
  });
  (model as unknown as { isOptimizerOwned: boolean }).isOptimizerOwned = true;
}
