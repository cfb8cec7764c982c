import * as tf from '@tensorflow/tfjs';
import { WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { PreprocessingSpec } from '../datasets/preprocessing.js';
import type { StoredDatasetRef } from '../datasets/ref.js';
import { splitValidation } from '../datasets/split.js';
import { rowCount } from '../datasets/types.js';
import { AppError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { ModelDefinition } from '../models/index.js';
import { TRAINING_QUEUE, TrainingJobDataSchema, queuePrefix, type TrainingJobData } from '../queue/training-queue.js';
import { saveModelArtifacts, type ArtifactStore } from '../registry/artifacts.js';
import { loadDataset } from '../registry/dataset-loader.js';
import { jobStatusEvent } from '../registry/job-events.js';
import type { JobRecord } from '../registry/records.js';
import type { Registry } from '../registry/registry.js';
import type { BackendInfo } from '../tf/backend.js';
import { EarlyStoppingSchema, FitSchema } from './fit-schema.js';
import { train, type TrainResult } from './train.js';

export interface WorkerDeps {
  config: Config;
  /** For BullMQ: blocking commands, `maxRetriesPerRequest: null`. */
  connection: Redis;
  registry: Registry;
  store: ArtifactStore;
  backend: BackendInfo;
  logger: Logger;
  /** Epoch durations and samples per second go here. */
  metrics?: Metrics;
}

export interface TrainingWorker {
  worker: Worker<TrainingJobData, void, 'train'>;
  /** Stops taking jobs; a running job stops at its epoch's end and goes back to the queue. */
  close(): Promise<void>;
}

/** Hands a running job back to the queue instead of finishing it. */
class HandBack extends Error {}

export async function startTrainingWorker(deps: WorkerDeps): Promise<TrainingWorker> {
  const { registry, logger } = deps;
  const running = new Map<string, { cancel: boolean; handBack: boolean }>();
  const stopListening = await registry.onCancel((jobId) => {
    const flags = running.get(jobId);
    if (flags) flags.cancel = true;
  });

  const worker = new Worker<TrainingJobData, void, 'train'>(
    TRAINING_QUEUE,
    async (job, token) => {
      const { job_id } = TrainingJobDataSchema.parse(job.data);
      const flags = { cancel: false, handBack: false };
      running.set(job_id, flags);
      try {
        await runJob(deps, job, job_id, flags);
      } catch (error) {
        if (!(error instanceof HandBack)) throw error;
        await job.moveToWait(token);
        throw new WaitingError();
      } finally {
        running.delete(job_id);
      }
    },
    {
      connection: deps.connection,
      prefix: queuePrefix(deps.config.KEY_PREFIX),
      concurrency: deps.config.WORKER_CONCURRENCY,
      lockDuration: deps.config.JOB_LOCK_MS,
      stalledInterval: deps.config.JOB_LOCK_MS,
      // A job whose worker died is taken again this many times before it fails.
      maxStalledCount: deps.config.JOB_ATTEMPTS,
    },
  );
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
  worker.on('stalled', (jobId) => logger.warn({ job: jobId }, 'job stalled: its worker died; it goes back to the queue'));

  return {
    worker,
    async close() {
      for (const flags of running.values()) flags.handBack = true;
      await worker.close();
      await stopListening();
    },
  };
}

/**
 * One training job, start to end. Every way it ends is written to its record:
 * a job that throws ends `failed` with the reason, and the worker goes on.
 */
async function runJob(
  deps: WorkerDeps,
  bullJob: Job<TrainingJobData, void, 'train'>,
  jobId: string,
  flags: { cancel: boolean; handBack: boolean },
): Promise<void> {
  const { registry } = deps;
  const record = await registry.getJob(jobId);
  const log = deps.logger.child({ job: jobId, model: record.model_name });
  // Taken again after its end was recorded (the worker died before BullMQ heard): nothing left to do.
  if (record.status !== 'queued' && record.status !== 'running') return;
  if (record.cancel_requested) return finish(deps, jobId, { status: 'cancelled' });

  const fit = FitSchema.parse(record.fit);
  await registry.resetJobProgress(jobId, fit.epochs);
  const started = await registry.updateJob(jobId, {
    status: 'running',
    started_at: new Date().toISOString(),
    attempts: record.attempts + 1,
    backend: { name: deps.backend.name, tensorflow_version: deps.backend.tensorflowVersion },
  });
  await registry.publishJobEvent(jobId, { type: 'status', data: { status: 'running', progress: started.progress } });
  log.info({ epochs: fit.epochs, attempt: started.attempts }, 'training started');

  let result: TrainResult | undefined;
  try {
    const model = await registry.getModel(record.model_id);
    const dataset = await loadDataset(deps, record.dataset as unknown as StoredDatasetRef);
    const trainSamples = rowCount(splitValidation(dataset, fit.validation_split).train.x);
    let epochStarted = Date.now();
    result = await train({
      definition: model.definition as unknown as ModelDefinition,
      dataset,
      fit,
      preprocessing: (record.preprocessing ?? undefined) as PreprocessingSpec | undefined,
      earlyStopping: record.early_stopping ? EarlyStoppingSchema.parse(record.early_stopping) : undefined,
      limits: { maxParams: deps.config.MAX_PARAMS, maxLayers: deps.config.MAX_LAYERS },
      shouldStop: () => flags.cancel,
      onEpoch: async (epoch, logs) => {
        const done = epoch + 1;
        const ms = Date.now() - epochStarted;
        deps.metrics?.observeEpoch(record.model_name, ms / 1000, trainSamples);
        await registry.appendEpoch(jobId, done, logs, fit.epochs);
        await bullJob.updateProgress({ epoch: done, epochs: fit.epochs });
        await registry.publishJobEvent(jobId, { type: 'epoch', data: { epoch: done, epochs: fit.epochs, logs } });
        log.debug({ epoch: done, ms, ...logs }, 'epoch');
        epochStarted = Date.now();
        // Shutting down: the epoch is whole, so stop here and let another worker start the job afresh.
        if (flags.handBack) throw new HandBack();
      },
    });
    if (result.outcome === 'cancelled') return await finish(deps, jobId, { status: 'cancelled' });

    const artifact = `models/${record.model_id}/jobs/${jobId}`;
    await saveModelArtifacts(deps.store, artifact, await toArtifacts(result.model));
    const version = await registry.addVersion(record.model_id, {
      job_id: jobId,
      summary: result.summary as unknown as Record<string, unknown>,
      metrics: result.metrics,
      history: result.history,
      preprocessing: result.preprocessing as Record<string, unknown>,
      backend: { name: deps.backend.name, tensorflow_version: deps.backend.tensorflowVersion },
      input_shape: result.inputShape,
      output_shape: result.outputShape,
      class_names: dataset.classNames ?? null,
      artifact,
    });
    // A deferred input shape is known now: the model's record gets it and its summary, as Keras's model does after fit.
    if (model.input_shape === null) {
      await registry.updateModel(record.model_id, { input_shape: result.inputShape, summary: result.summary as unknown as Record<string, unknown> });
    }
    await finish(deps, jobId, { status: 'completed', version: version.version });
    log.info({ version: version.version, epochs: result.epochsRun, ...result.metrics }, 'training completed');
  } catch (error) {
    if (error instanceof HandBack) {
      await registry.publishJobEvent(jobId, jobStatusEvent(await registry.updateJob(jobId, { status: 'queued' })));
      log.info('shutting down: job handed back to the queue');
      throw error;
    }
    const jobError =
      error instanceof AppError
        ? { code: error.code, message: error.message }
        : { code: 'training_error', message: error instanceof Error ? error.message : String(error) };
    log.warn({ err: error }, 'training failed');
    await finish(deps, jobId, { status: 'failed', error: jobError });
  } finally {
    result?.model.dispose();
  }
}

async function finish(deps: WorkerDeps, jobId: string, end: Pick<JobRecord, 'status'> & Partial<JobRecord>): Promise<void> {
  const job = await deps.registry.updateJob(jobId, { ...end, finished_at: new Date().toISOString() });
  await deps.registry.publishJobEvent(jobId, jobStatusEvent(job));
}

/** The model in TensorFlow.js layers format, in memory. */
async function toArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved) throw new Error('the model produced no artifacts');
  return saved;
}
