import { checkModel, inputShapeOf, type ModelDefinition, type ModelLimits } from '../../models/index.js';
import type { ModelRecord } from '../../registry/records.js';
import type { AppDeps } from '../app.js';

/**
 * Stores a definition once it is known to build: with its input shape it is
 * built symbolically (no tensors) and summarized; without one, Keras-style,
 * the shape comes from the data at the first fit.
 */
export async function createModel(deps: AppDeps, definition: ModelDefinition & { name: string }): Promise<ModelRecord> {
  const inputShape = inputShapeOf(definition);
  const summary = checkModel(definition, limitsOf(deps), inputShape ?? undefined);
  return deps.registry.createModel({
    name: definition.name,
    definition: definition as unknown as Record<string, unknown>,
    input_shape: inputShape,
    summary: summary as unknown as Record<string, unknown> | null,
  });
}

export function limitsOf(deps: AppDeps): ModelLimits {
  return { maxParams: deps.config.MAX_PARAMS, maxLayers: deps.config.MAX_LAYERS };
}

/** The model's records first, then its files: a crash between leaves files nobody refers to, never a record without files. */
export async function deleteModel(deps: AppDeps, idOrName: string): Promise<void> {
  const deleted = await deps.registry.deleteModel(idOrName);
  deps.cache.forget(deleted.model.id);
  for (const version of deleted.versions) await deps.store.delete(version.artifact);
}
