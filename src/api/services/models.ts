import type { FastifyInstance } from 'fastify';
import { checkModel, inputShapeOf, type ModelDefinition, type ModelLimits } from '../../models/index.js';
import { ConflictError } from '../../errors.js';
import { isTerminal } from '../../jobs/status.js';
import { modelArtifactsFolder } from '../../registry/model-artifacts.js';
import type { ModelRecord } from '../../registry/records.js';
import type { Tenant } from '../../registry/tenants.js';
import { cancelJob } from './job-control.js';
import { ownModel } from './owned.js';

/**
 * Stores a definition, the tenant's, once it is known to build: with its input
 * shape it is built symbolically (no tensors) and summarized; without one,
 * Keras-style, the shape comes from the data at the first fit. Names are unique
 * across tenants: a name another tenant took is a 409 here too.
 */
export async function createModel(deps: Pick<FastifyInstance, 'config' | 'models'>, tenant: Tenant, definition: ModelDefinition & { name: string }): Promise<ModelRecord> {
  const inputShape = inputShapeOf(definition);
  const summary = checkModel(definition, limitsOf(deps), inputShape ?? undefined);
  return deps.models.create({
    name: definition.name,
    definition,
    input_shape: inputShape,
    summary,
    tenant,
  });
}

export function limitsOf(deps: Pick<FastifyInstance, 'config'>): ModelLimits {
  return { maxParams: deps.config.MAX_PARAMS, maxLayers: deps.config.MAX_LAYERS };
}

/**
 * Its queued and running jobs are cancelled first, so none trains on to write
 * a version nobody can reach; then the model's records, then its files: a crash
 * between leaves files nobody refers to, never a record without files.
 */
export async function deleteModel(deps: Pick<FastifyInstance, 'models' | 'modelCache' | 'artifacts' | 'jobs' | 'queue'>, tenant: Tenant, idOrName: string): Promise<void> {
  const model = await ownModel(deps, tenant, idOrName);
  for (const job of await deps.jobs.list({ model: model.id })) {
    if (isTerminal(job.status)) continue;
    try {
      // Every job on the model, whoever queued it: the model goes for all of them.
      await cancelJob(deps, null, job.id);
    } catch (error) {
      // It ended meanwhile.
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  const deleted = await deps.models.delete(model.id);
  deps.modelCache.catalog.remove(deleted.model.id);
  for (const version of deleted.versions) await deps.artifacts.delete(version.artifact);
  // Whatever a job wrote under the model without making it a version (one cut short by the delete).
  await deps.artifacts.delete(modelArtifactsFolder(deleted.model.id));
}
