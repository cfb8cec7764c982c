import { ValidationError, joinPath } from '../../errors.js';
import { canonicalLoss } from '../compile/losses.js';
import { graphOf } from '../graph/graph.js';
import { kerasToArchitecture } from '../keras/model.js';
import { ModelDefinitionSchema, ResolvedArchitectureSchema, type ModelDefinition } from './schema.js';
import { prefixed, validationError } from './zod-errors.js';

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
    graphOf(definition);
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
