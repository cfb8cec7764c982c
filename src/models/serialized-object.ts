import { z } from 'zod';

/**
 * Keras's serialized form of an initializer or regularizer:
 * `{module, class_name, config, registered_name}`, the config's defaults filled in.
 */
export function serializedObject<const N extends string, S extends z.ZodObject>(names: N | readonly N[], config: S) {
  const literals: readonly N[] = typeof names === 'string' ? [names] : names;
  return z.strictObject({
    class_name: z.literal(literals),
    config: config.prefault({} as z.input<S>),
    module: z.string().optional(),
    registered_name: z.string().nullable().optional(),
  });
}
