import { z } from 'zod';
import { ValidationError, formatPath, joinPath, type ErrorDetail } from '../errors.js';
import { FunctionalLayerSchema, SequentialLayerSchema } from './catalogue.js';
import { checkStructure } from './check.js';
import { kerasToArchitecture } from './keras.js';
import { CompileSchema, canonicalLoss } from './compile.js';
import { LayerName } from './layers/define.js';
import { SampleShapeSchema } from './layers/shape.js';

export const SequentialArchitectureSchema = z.strictObject({
  type: z.literal('sequential'),
  /** Per-sample, without the batch dimension; left out, the data decides at training time. */
  input_shape: SampleShapeSchema.optional(),
  layers: z.array(SequentialLayerSchema).min(1, { error: 'a model needs at least one layer' }),
});
export type SequentialArchitecture = z.output<typeof SequentialArchitectureSchema>;

// A job trains on one `x` and one `y` array, so a functional model has one input and one output.
const ONE_INPUT = 'a functional model here has exactly one input (a job trains on one x array)';
const ONE_OUTPUT = 'a functional model here has exactly one output (a job trains on one y array)';

export const FunctionalArchitectureSchema = z.strictObject({
  type: z.literal('functional'),
  inputs: z
    .array(
      z.strictObject({
        name: LayerName,
        shape: SampleShapeSchema,
        dtype: z.literal('float32', { error: 'modelyard computes in float32 only' }).optional(),
      }),
    )
    .length(1, { error: ONE_INPUT }),
  layers: z.array(FunctionalLayerSchema).min(1, { error: 'a model needs at least one layer' }),
  outputs: z.array(LayerName).length(1, { error: ONE_OUTPUT }),
});
export type FunctionalArchitecture = z.output<typeof FunctionalArchitectureSchema>;

/** What Keras's `model.to_json()` wrote: the JSON text or the object it encodes. */
export const KerasArchitectureSchema = z.strictObject({
  type: z.literal('keras'),
  config: z.union([z.string(), z.record(z.string(), z.unknown())], {
    error: "config is the JSON that Keras's model.to_json() writes, as text or as an object",
  }),
});

const ARCHITECTURE_TYPES = 'sequential, functional or keras';

export const ArchitectureSchema = z.discriminatedUnion(
  'type',
  [SequentialArchitectureSchema, FunctionalArchitectureSchema, KerasArchitectureSchema],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `architecture.type is ${ARCHITECTURE_TYPES}, found ${JSON.stringify((issue.input as { type?: unknown } | undefined)?.type)}`
        : undefined,
  },
);

const ResolvedArchitectureSchema = z.discriminatedUnion('type', [SequentialArchitectureSchema, FunctionalArchitectureSchema]);

const definitionKeys = {
  name: z.string().min(1).max(128).optional(),
  compile: CompileSchema.optional(),
};

/** A model definition as a client sends it (the `keras` form included). */
export const ModelDefinitionSchema = z.strictObject({ ...definitionKeys, architecture: ArchitectureSchema });

/** A definition as stored and returned: `parseModelDefinition`'s output, the keras form converted. */
export const ResolvedModelDefinitionSchema = z.strictObject({ ...definitionKeys, architecture: ResolvedArchitectureSchema });

/** A definition after `parseModelDefinition`: a Keras JSON architecture already converted. */
export type ModelDefinition = z.output<typeof ResolvedModelDefinitionSchema>;

/**
 * Validates a client's definition: schema, then the keras form converted to
 * the sequential or functional form, then names and wiring. Normalizes loss
 * aliases to Keras's canonical names (`mse` → `mean_squared_error`).
 * Throws ValidationError with paths under `pathPrefix`.
 */
export function parseModelDefinition(input: unknown, pathPrefix = ''): ModelDefinition {
  const parsed = ModelDefinitionSchema.safeParse(input);
  if (!parsed.success) throw validationError(parsed.error, input, pathPrefix);
  const { architecture, ...rest } = parsed.data;

  let resolved: ModelDefinition['architecture'];
  if (architecture.type === 'keras') {
    const converted = convertKeras(architecture.config, joinPath(pathPrefix, 'architecture.config'));
    const result = ResolvedArchitectureSchema.safeParse(converted);
    if (!result.success) {
      const where = ' (in the architecture converted from the Keras JSON)';
      throw validationError(result.error, converted, joinPath(pathPrefix, 'architecture'), where);
    }
    resolved = result.data;
  } else {
    resolved = architecture;
  }

  const definition: ModelDefinition = {
    ...rest,
    architecture: resolved,
    ...(rest.compile ? { compile: { ...rest.compile, loss: canonicalLoss(rest.compile.loss) } } : {}),
  };
  try {
    checkStructure(definition);
  } catch (error) {
    throw error instanceof ValidationError ? prefixed(error, pathPrefix) : error;
  }
  return definition;
}

function convertKeras(config: string | Record<string, unknown>, path: string): unknown {
  let json: unknown = config;
  if (typeof config === 'string') {
    try {
      json = JSON.parse(config);
    } catch {
      throw ValidationError.at(path, 'config is not valid JSON');
    }
  }
  return kerasToArchitecture(json, path);
}

function prefixed(error: ValidationError, prefix: string): ValidationError {
  if (!prefix) return error;
  const details = error.details.map((d) => ({ path: joinPath(prefix, d.path), message: d.message }));
  return withDetails(details);
}

function withDetails(details: ErrorDetail[], suffix = ''): ValidationError {
  const [first] = details;
  const head = first ? (first.path ? `${first.path}: ${first.message}` : first.message) : 'invalid input';
  const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
  return new ValidationError(`${head}${suffix}${more}`, details.map((d) => ({ ...d, message: d.message + suffix })));
}

/**
 * zod's issues as details, with an unknown key reported at its own path and
 * named for the layer that does not take it.
 */
function validationError(error: z.ZodError, input: unknown, prefix: string, suffix = ''): ValidationError {
  const details: ErrorDetail[] = [];
  for (const issue of error.issues.flatMap((i) => flattenUnion(i, []))) {
    if (issue.code === 'unrecognized_keys') {
      const owner = valueAt(input, issue.path) as { type?: unknown } | undefined;
      for (const key of issue.keys) {
        details.push({
          path: joinPath(prefix, formatPath([...issue.path, key])),
          message:
            typeof owner?.type === 'string' && issue.path.includes('layers')
              ? `${owner.type} has no argument "${key}"`
              : `unknown key "${key}"`,
        });
      }
    } else {
      details.push({ path: joinPath(prefix, formatPath(issue.path)), message: issue.message });
    }
  }
  return withDetails(details, suffix);
}

/**
 * A union (a name or an object, say) fails as a whole; when exactly one of
 * its options got past the top level, that option's own issues say more.
 */
function flattenUnion(issue: z.core.$ZodIssue, base: PropertyKey[]): z.core.$ZodIssue[] {
  const path = [...base, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const deeper = issue.errors.filter((branch) => branch.some((i) => i.path.length > 0));
    if (deeper.length === 1) return (deeper[0] as z.core.$ZodIssue[]).flatMap((i) => flattenUnion(i, path));
  }
  return [{ ...issue, path }];
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
