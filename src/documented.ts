import { z } from 'zod';

/**
 * The metadata key that names the component documenting a schema. The
 * OpenAPI plugin replaces every JSON schema carrying it with a reference to
 * that component.
 */
export const DOCUMENTED_AS = 'x-documented-as';

/**
 * `schema`, documented as the component `component`. For values that are
 * checked elsewhere or returned as stored, where validating them again field
 * by field would cost more than it tells: numeric arrays that can hold
 * millions of numbers (their shape is checked against the model), and
 * records the registry wrote through the component's own schema.
 */
export function documentedAs<T extends z.ZodType>(schema: T, component: string): T {
  return schema.meta({ [DOCUMENTED_AS]: component });
}

/** A number or a nested array of numbers, in JSON; a type for the `Tensor` component. */
export type Tensor = Array<number | Tensor>;

export const TensorSchema: z.ZodType<Tensor> = z
  .array(z.union([z.number(), z.lazy(() => TensorSchema)]))
  .describe(
    'Numbers as nested arrays, outermost axis first, every array at one depth the same length: the shape [2, 3] is [[a, b, c], [d, e, f]]. ' +
      'A batch (instances, x, predictions, a layer output) has the samples as its first axis, each sample shaped as the model input or output.',
  );

/** Samples as nested arrays, validated against the model's input shape by the route rather than element by element. */
export const SamplesSchema = documentedAs(z.array(z.unknown()), 'Tensor');
