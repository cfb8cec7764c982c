import { z } from 'zod';
import { CATALOGUE, LAYER_TYPES } from '../catalogue.js';
import { LayerName, type LayerEntry } from '../layers/define.js';
import { BatchShapeSchema, PositiveInt, SampleShapeSchema } from '../layers/shape.js';

function unknownType(input: unknown, types: string[]): string {
  const type = (input as { type?: unknown } | null | undefined)?.type;
  if (type === undefined) return `a layer needs a "type": one of ${types.join(', ')}`;
  return `unknown or unsupported layer type ${JSON.stringify(type)}; supported: ${types.join(', ')}`;
}

/** Keras's ways of giving a Sequential model's input shape on its first layer. */
const firstLayerKeys = {
  input_shape: SampleShapeSchema.optional(),
  input_dim: PositiveInt.optional(),
  batch_input_shape: BatchShapeSchema.optional(),
};

const entries = [...CATALOGUE.values()];

/** Embedding's own `input_dim` (its vocabulary) is not Keras's input-shape shorthand. */
function withoutOwnKeys(entry: LayerEntry, keys: z.core.$ZodLooseShape): z.core.$ZodLooseShape {
  return Object.fromEntries(Object.entries(keys).filter(([key]) => !(key in entry.schema.shape)));
}

// The table's entries are type-erased, so the two unions below state their static types: the keys every
// layer shares (LayerConfig), and the rest as the entry's own schema parsed it.

/** A layer of a `sequential` architecture: the catalogue's arguments plus the first layer's input shape. */
export const SequentialLayerSchema = z.discriminatedUnion(
  'type',
  entries.map((entry) => entry.schema.extend(withoutOwnKeys(entry, firstLayerKeys))) as unknown as [
    z.ZodObject,
    ...z.ZodObject[],
  ],
  { error: (issue) => (issue.code === 'invalid_union' ? unknownType(issue.input, LAYER_TYPES) : undefined) },
) as unknown as z.ZodType<LayerConfig & Record<string, unknown>, Record<string, unknown>>;

const FUNCTIONAL_TYPES = LAYER_TYPES.filter((type) => type !== 'InputLayer');

/** A layer of a `functional` architecture: a required unique name and the names it takes its input from. */
export const FunctionalLayerSchema = z.discriminatedUnion(
  'type',
  entries
    .filter((entry) => entry.type !== 'InputLayer')
    .map((entry) =>
      entry.schema.extend({ name: LayerName, inputs: z.array(LayerName).min(1, { error: 'name at least one input' }) }),
    ) as unknown as [z.ZodObject, ...z.ZodObject[]],
  {
    error: (issue) =>
      issue.code !== 'invalid_union'
        ? undefined
        : (issue.input as { type?: unknown } | undefined)?.type === 'InputLayer'
          ? 'a functional model declares its inputs in architecture.inputs, not as InputLayer layers'
          : unknownType(issue.input, FUNCTIONAL_TYPES),
  },
) as unknown as z.ZodType<FunctionalLayerConfig, Record<string, unknown>>;

type FunctionalLayerConfig = LayerConfig & { name: string; inputs: string[] } & Record<string, unknown>;

/**
 * The parsed form of a layer, as the checker and builder see it: the
 * catalogue entry's own config plus the keys every form may carry. The
 * entry's `infer`/`create` narrow `config` back to their own schema.
 */
export interface LayerConfig {
  type: string;
  name?: string | undefined;
  trainable: boolean;
  input_shape?: number[] | undefined;
  input_dim?: number | undefined;
  batch_input_shape?: (number | null)[] | undefined;
  inputs?: string[] | undefined;
}
