import { randomBytes } from 'node:crypto';
import { BUILTIN_DATASETS } from '../../datasets/builtins.js';
import { encodeDataset } from '../../datasets/storage.js';
import { inlineDataset, type DatasetRef, type StoredDatasetRef } from '../../datasets/ref.js';
import { ConflictError, ValidationError } from '../../errors.js';
import { checkModel, parseModelDefinition, type ModelDefinition } from '../../models/index.js';
import { enqueueTraining } from '../../queue/training-queue.js';
import type { JobRecord, ModelRecord } from '../../registry/records.js';
import type { AppDeps } from '../app.js';
import type { CreateJob } from '../schemas/jobs.js';
import { createModel, limitsOf } from './models.js';

/**
 * Validates a training request as far as it can be without the data itself,
 * stores what the job needs, and queues it.
 */
export async function submitJob(deps: AppDeps, request: CreateJob): Promise<JobRecord> {
  if (request.fit.epochs > deps.config.MAX_EPOCHS) {
    throw ValidationError.at('fit.epochs', `at most ${deps.config.MAX_EPOCHS} epochs per job (MAX_EPOCHS), found ${request.fit.epochs}`);
  }
  const jobId = `job_${randomBytes(9).toString('base64url')}`;
  const model = await resolveModel(deps, request.model);
  if (!(model.definition as ModelDefinition).compile) {
    throw ValidationError.at('model.compile', `model '${model.name}' has no compile settings (loss, optimizer); as in Keras, a model must be compiled before fit`);
  }
  const { dataset, sampleShape } = await storeDatasetRef(deps, jobId, request.dataset);
  checkModel(model.definition as ModelDefinition, limitsOf(deps), sampleShape);
  const job = await deps.registry.createJob({
    id: jobId,
    model_id: model.id,
    model_name: model.name,
    dataset: dataset as unknown as Record<string, unknown>,
    fit: request.fit,
    preprocessing: request.preprocessing ?? null,
    early_stopping: request.early_stopping ?? null,
  });
  await enqueueTraining(deps.queue, { job_id: job.id });
  return job;
}

async function resolveModel(deps: AppDeps, model: CreateJob['model']): Promise<ModelRecord> {
  if (typeof model === 'string') return deps.registry.getModel(model);
  const definition = parseModelDefinition(model, 'model');
  const name = definition.name ?? `inline-${randomBytes(6).toString('hex')}`;
  if (await deps.registry.findModel(name)) {
    throw new ConflictError(`a model named '${name}' exists; refer to it by name, or give the inline definition another name`);
  }
  return createModel(deps, { ...definition, name });
}

/** The job's dataset in the form it keeps, and the shape of one sample, to check the model against. */
async function storeDatasetRef(
  deps: AppDeps,
  jobId: string,
  ref: DatasetRef,
): Promise<{ dataset: StoredDatasetRef; sampleShape: number[] }> {
  if ('id' in ref) {
    const record = await deps.registry.getDataset(ref.id);
    return { dataset: { kind: 'stored', id: record.id }, sampleShape: record.x_shape.slice(1) };
  }
  if ('builtin' in ref) {
    return {
      dataset: { kind: 'builtin', name: ref.builtin, split: ref.split, limit: ref.limit },
      sampleShape: builtinSampleShape(ref.builtin, ref.split),
    };
  }
  const data = inlineDataset(ref);
  const artifact = `jobs/${jobId}/dataset`;
  await deps.store.putFiles(artifact, encodeDataset(data));
  return { dataset: { kind: 'inline', artifact }, sampleShape: data.x.shape.slice(1) };
}

/** From the built-ins' metadata: the API never loads MNIST just to check a shape. */
function builtinSampleShape(name: string, split: string | undefined): number[] {
  const info = BUILTIN_DATASETS.find((d) => d.name === name);
  if (!info) throw ValidationError.at('dataset.builtin', `unknown built-in dataset '${name}'`);
  if (split !== undefined && !info.splits.some((s) => s.name === split)) {
    throw ValidationError.at('dataset.split', `${name} has no split '${split}'; it has ${info.splits.map((s) => s.name).join(', ')}`);
  }
  return info.x_shape;
}
