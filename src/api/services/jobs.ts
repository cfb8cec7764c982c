import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { BUILTIN_DATASETS, type BuiltinDatasetInfo } from '../../datasets/builtins.js';
import { transformY, type PreprocessingSpec } from '../../datasets/preprocessing.js';
import { encodeDataset } from '../../datasets/storage.js';
import type { Dataset, NDArray } from '../../datasets/types.js';
import { inlineDataset, type DatasetRef, type StoredDatasetRef } from '../../datasets/ref.js';
import { ConflictError, ValidationError } from '../../errors.js';
import { canLower } from '../../graph/index.js';
import { checkLabels } from '../../models/labels.js';
import { canonicalLoss, checkModel, parseModelDefinition, type ModelDefinition } from '../../models/index.js';
import type { FitSpec } from '../../jobs/contract.js';
import type { JobRecord } from '../../jobs/record.js';
import { enqueueTraining } from '../../queue/training-queue.js';
import { inlineDatasetKey } from '../../registry/artifact-layout.js';
import { newId } from '../../registry/ids.js';
import type { ModelRecord } from '../../registry/records.js';
import type { Tenant } from '../../registry/tenants.js';
import type { CreateJob, ListJobsQuery } from '../schemas/jobs.js';
import { createModel, limitsOf } from './models.js';
import { ownDataset, ownModel } from './owned.js';

type Deps = Pick<FastifyInstance, 'config' | 'models' | 'datasets' | 'jobs' | 'artifacts' | 'queue'>;

/**
 * One page of the tenant's jobs. The cursor is a position in the creation order, encoded
 * so that clients pass it back as it came and never build one.
 */
export async function listJobs(deps: Pick<Deps, 'models' | 'jobs'>, tenant: Tenant, query: ListJobsQuery): Promise<{ jobs: JobRecord[]; next_cursor: string | null }> {
  const model = query.model ? (await ownModel(deps, tenant, query.model)).id : undefined;
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const page = await deps.jobs.page({ status: query.status, model, tenant }, { limit: query.limit, after });
  return { jobs: page.jobs, next_cursor: page.next === null ? null : encodeCursor(page.next) };
}

const CURSOR = /^j1:(\d{1,15})$/;

function encodeCursor(position: number): string {
  return Buffer.from(`j1:${position}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!match?.[1]) throw ValidationError.at('querystring.cursor', "not a cursor this service wrote; pass a page's next_cursor as it came");
  return Number(match[1]);
}

/**
 * Validates a training request as far as it can be before the worker has the
 * data: the model against the data's shape, the labels against the loss. Then
 * stores what the job needs, and queues it, as the tenant's job: its model and
 * stored dataset must be the tenant's too (an inline model becomes the tenant's).
 */
export async function submitJob(deps: Deps, tenant: Tenant, request: CreateJob): Promise<JobRecord> {
  checkEpochs(deps, request.fit);
  const model = await resolveModel(deps, tenant, request.model);
  const data = await describeData(deps, tenant, request.dataset);
  checkTraining(deps, { name: model.name, definition: model.definition }, request.fit, request.preprocessing, data);

  const jobId = newId('job');
  const dataset = data.inline ? await storeInline(deps, jobId, data.inline) : data.ref;
  const job = await deps.jobs.create({
    id: jobId,
    model_id: model.id,
    model_name: model.name,
    dataset,
    fit: request.fit,
    preprocessing: request.preprocessing ?? null,
    early_stopping: request.early_stopping ?? null,
    tenant,
  });
  await enqueueTraining(deps.queue, { job_id: job.id });
  return job;
}

function checkEpochs(deps: Pick<Deps, 'config'>, fit: FitSpec): void {
  if (fit.epochs > deps.config.MAX_EPOCHS) {
    throw ValidationError.at('fit.epochs', `at most ${deps.config.MAX_EPOCHS} epochs per job (MAX_EPOCHS), found ${fit.epochs}`);
  }
}

/**
 * Whether a definition trains with these arguments on this data, as far as
 * that is known before the worker has the data: compiled, on the engine
 * asked for, its shapes fitting the data's, its labels fitting the loss.
 */
export function checkTraining(deps: Pick<Deps, 'config'>, model: { name: string; definition: ModelDefinition }, fit: FitSpec, preprocessing: PreprocessingSpec | undefined, data: DataFacts): void {
  checkEpochs(deps, fit);
  const { definition } = model;
  if (!definition.compile) {
    throw ValidationError.at('model.compile', `model '${model.name}' has no compile settings (loss, optimizer); as in Keras, a model must be compiled before fit`);
  }
  if ((fit.engine ?? deps.config.TRAINING_ENGINE) === 'graph') {
    const lowers = canLower(definition);
    if (!lowers.ok) {
      throw ValidationError.at('fit.engine', `model '${model.name}' does not train on the graph engine: ${lowers.path}: ${lowers.reason}; use engine "auto" or "eager"`);
    }
  }
  const summary = checkModel(definition, limitsOf(deps), data.sampleShape);
  const units = summary?.output_shape.at(-1);
  const labels = preprocessing?.one_hot && typeof units === 'number' ? transformY({ one_hot: { num_classes: units } }, data.labels, 'dataset.y') : data.labels;
  checkLabels(canonicalLoss(definition.compile.loss), units, labels);
}

async function resolveModel(deps: Deps, tenant: Tenant, model: CreateJob['model']): Promise<ModelRecord> {
  if (typeof model === 'string') return ownModel(deps, tenant, model);
  const definition = parseModelDefinition(model, 'model');
  const name = definition.name ?? `inline-${randomBytes(6).toString('hex')}`;
  if (await deps.models.find(name)) {
    throw new ConflictError(`a model named '${name}' exists; refer to it by name, or give the inline definition another name`);
  }
  return createModel(deps, tenant, { ...definition, name });
}

export type DataFacts = {
  sampleShape: number[];
  /** The labels themselves when at hand; else, from metadata, the class indices 0..n-1 they hold. */
  labels: NDArray;
  /** Inline data is stored with the job once the request is known to be good. */
} & ({ ref: StoredDatasetRef; inline?: undefined } | { ref?: undefined; inline: Dataset });

async function storeInline(deps: Deps, jobId: string, data: Dataset): Promise<StoredDatasetRef> {
  const artifact = inlineDatasetKey(jobId);
  await deps.artifacts.putFiles(artifact, encodeDataset(data));
  return { kind: 'inline', artifact };
}

/** What the API knows of a job's data without loading a stored dataset's arrays. */
export async function describeData(deps: Pick<Deps, 'datasets'>, tenant: Tenant, ref: DatasetRef): Promise<DataFacts> {
  if ('id' in ref) {
    const record = await ownDataset(deps, tenant, ref.id);
    return {
      ref: { kind: 'stored', id: record.id },
      sampleShape: record.x_shape.slice(1),
      labels: labelsFromMetadata(record.class_names?.length, record.y_shape.slice(1)),
    };
  }
  if ('builtin' in ref) {
    const info = builtinInfo(ref.builtin, ref.split);
    return {
      ref: { kind: 'builtin', name: ref.builtin, split: ref.split, limit: ref.limit },
      sampleShape: info.x_shape,
      labels: labelsFromMetadata(info.class_names.length, info.y_shape),
    };
  }
  const inline = inlineDataset(ref);
  return { inline, sampleShape: inline.x.shape.slice(1), labels: inline.y };
}

/**
 * Labels standing in for a dataset's: every class index once when its classes
 * are known, else none of the right shape, so shape checks still apply.
 */
function labelsFromMetadata(classCount: number | undefined, ySampleShape: number[]): NDArray {
  if (classCount) return { data: Int32Array.from({ length: classCount }, (_, i) => i), shape: [classCount], dtype: 'int32' };
  return { data: new Float32Array(0), shape: [0, ...ySampleShape], dtype: 'float32' };
}

/** The built-ins' metadata: the API never loads MNIST just to check a shape. */
function builtinInfo(name: string, split: string | undefined): BuiltinDatasetInfo {
  const info = BUILTIN_DATASETS.find((d) => d.name === name);
  if (!info) throw ValidationError.at('dataset.builtin', `unknown built-in dataset '${name}'`);
  if (split !== undefined && !info.splits.some((s) => s.name === split)) {
    throw ValidationError.at('dataset.split', `${name} has no split '${split}'; it has ${info.splits.map((s) => s.name).join(', ')}`);
  }
  return info;
}
