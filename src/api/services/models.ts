import type { FastifyInstance } from 'fastify';
import { checkModel, inputShapeOf, type ModelDefinition, type ModelLimits } from '../../models/index.js';
import type { ModelRecord } from '../../registry/records.js';

/**
 * Stores a definition once it is known to build: with its input shape it is
 * built symbolically (no tensors) and summarized; without one, Keras-style,
 * the shape comes from the data at the first fit.
 */
export async function createModel(deps: Pick<FastifyInstance, 'config' | 'models'>, definition: ModelDefinition & { name: string }): Promise<ModelRecord> {
  const inputShape = inputShapeOf(definition);
  const summary = checkModel(definition, limitsOf(deps), inputShape ?? undefined);
  return deps.models.create({
    name: definition.name,
    definition,
    input_shape: inputShape,
    summary,
  });
}

export function limitsOf(deps: Pick<FastifyInstance, 'config'>): ModelLimits {
  return { maxParams: deps.config.MAX_PARAMS, maxLayers: deps.config.MAX_LAYERS };
}

/** The model's records first, then its files: a crash between leaves files nobody refers to, never a record without files. */
export async function deleteModel(deps: Pick<FastifyInstance, 'models' | 'modelCache' | 'artifacts'>, idOrName: string): Promise<void> {
  const deleted = await deps.models.delete(idOrName);
  deps.modelCache.catalog.remove(deleted.model.id);
  for (const version of deleted.versions) await deps.artifacts.delete(version.artifact);
}
