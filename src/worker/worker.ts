import { WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { splitValidation } from '../datasets/split.js';
import { rowCount } from '../datasets/types.js';
import { ConflictError } from '../errors.js';
import { TrainingJobDataSchema, type TrainingJobData } from '../jobs/contract.js';
import type { JobEvents } from '../jobs/events.js';
import type { JobStore } from '../jobs/job-store.js';
import type { JobRecord } from '../jobs/record.js';
import { isTerminal } from '../jobs/status.js';
import type { Metrics } from '../metrics.js';
import { TRAINING_QUEUE, createTrainingQueue, queuePrefix } from '../queue/training-queue.js';
import type { ArtifactStore } from '../registry/artifacts.js';
import { loadDataset, releaseJobDataset } from '../registry/dataset-loader.js';
import type { DatasetStore } from '../registry/dataset-store.js';
import { jobArtifactKey, saveModelArtifacts } from '../registry/model-artifacts.js';
import type { AddVersionInput, ModelStore } from '../registry/model-store.js';
import type { VersionRecord } from '../registry/records.js';
import type { SweepStore } from '../sweeps/sweep-store.js';
import { TrialRuns } from '../sweeps/trial-runs.js';
import type { BackendInfo } from '../tf/backend.js';
import { checkpointDue, type TrainingCheckpoint } from './checkpoint.js';
import { deleteCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint-store.js';
import { chooseEngine } from './engine.js';
import { jobErrorOf } from './job-error.js';
import { periodically } from './periodic.js';
import { closeQueueWorker } from './queue-worker-close.js';
import { queueFailure, reconcilePeriodically } from './reconcile.js';
import { sweepPeriodically } from './sweep.js';
import { TrainingProcesses } from './training-process.js';

export interface WorkerDeps {
  config: Config;
  /** For BullMQ: blocking commands, `maxRetriesPerRequest: null`. */
  connection: Redis;
  models: ModelStore;
  datasets: Pick<DatasetStore, 'get' | 'find'>;
  jobs: JobStore;
  events: Pick<JobEvents, 'onCancel'>;
  artifacts: ArtifactStore;
  /** A job that is a sweep's trial trains the trial's arguments, and advances its sweep. */
  sweeps: SweepStore;
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

/** How long a closing worker waits for its blocking Redis connection to reconnect, at least the 2 s of ioredis's longest retry delay. */
const QUEUE_RECONNECT_WAIT_MS = 10_000;

/** Hands a running job back to the queue instead of finishing it. */
class HandBack extends Error {}

export async function startTrainingWorker(deps: WorkerDeps): Promise<TrainingWorker> {
  let closing = false;
  const processes = new TrainingProcesses();
  const holder: { worker?: Worker<TrainingJobData, void, 'train'> } = {};
  // A cancel is published once for all workers; the one holding the job aborts its processor's signal.
  // Listening starts first, so no job of this worker runs unheard.
  const stopListening = await deps.events.onCancel((jobId) => holder.worker?.cancelJob(jobId, 'cancel requested'));
  // Jobs failed inside BullMQ's own scripts (a worker dead too often) raise no event here: reconciliation finds them.
  const queue = createTrainingQueue(deps.connection, deps.config.KEY_PREFIX);
  queue.on('error', (error) => deps.logger.warn({ err: error }, 'queue'));
  const trials = new TrialRuns(
    { sweeps: deps.sweeps, jobs: deps.jobs, models: deps.models, queue, cancelJob: async (jobId) => void (await deps.jobs.requestCancel(jobId)) },
    deps.logger,
  );

  const worker = new Worker<TrainingJobData, void, 'train'>(
    TRAINING_QUEUE,
    async (job, token, signal) => {
      const { job_id } = TrainingJobDataSchema.parse(job.data);
      try {
        await runJob(deps, processes, trials, job, job_id, { signal, closing: () => closing });
      } catch (error) {
        if (!(error instanceof HandBack)) throw error;
        await job.moveToWait(token);
        throw new WaitingError();
      }
      // Data sent inline and checkpoints belong to their job alone: once it has ended, nothing will read them again.
      const ended = await deps.jobs.get(job_id);
      if (isTerminal(ended.status)) {
        await releaseJobDataset(deps.artifacts, ended.dataset);
        await deleteCheckpoint(deps.artifacts, job_id);
        await trials.ended(job_id);
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
  holder.worker = worker;
  worker.on('error', (error) => deps.logger.error({ err: error }, 'worker error'));
  worker.on('stalled', (jobId) => deps.logger.warn({ job: jobId }, 'job stalled: its worker died; it goes back to the queue'));
  // runJob records every end it sees; this catches the ones it could not write (Redis away past REDIS_WAIT_MS).
  worker.on('failed', (job, error) => {
    if (!job?.id) return;
    const jobId = job.id;
    void endJob(deps.logger.child({ job: jobId }), () => deps.jobs.fail(jobId, queueFailure(error.message)))
      .then(() => deleteCheckpoint(deps.artifacts, jobId))
      .catch((failure: unknown) =>
        deps.logger.warn({ err: failure, job: jobId }, 'could not record the queue\'s failure of a job, or remove its checkpoint; reconciliation and the retention sweep will'),
      );
  });

  const reconciliation = reconcilePeriodically(
    { jobs: deps.jobs, queue, logger: deps.logger, enqueueGraceMs: deps.config.RECONCILE_INTERVAL_MS },
    deps.config.RECONCILE_INTERVAL_MS,
  );
  await reconciliation.first;
  // The sweeps' safety net: a trial whose end no advance recorded (its worker died in between) is picked up here.
  const sweepAdvance = periodically(() => trials.unfinished(), deps.config.RECONCILE_INTERVAL_MS, deps.logger, 'advancing unfinished sweeps');
  // Not awaited: a first sweep over a long backlog must not hold up taking jobs.
  const sweeps = sweepPeriodically(
    { models: deps.models, datasets: deps.datasets, jobs: deps.jobs, sweeps: deps.sweeps, artifacts: deps.artifacts, logger: deps.logger },
    { intervalMs: deps.config.SWEEP_INTERVAL_MS, retentionMs: deps.config.JOB_RETENTION_MS, orphanGraceMs: deps.config.ORPHAN_GRACE_MS },
  );

  return {
    worker,
    async close() {
      closing = true;
      await reconciliation.stop();
      await sweepAdvance.stop();
      await sweeps?.stop();
      await closeQueueWorker(worker, QUEUE_RECONNECT_WAIT_MS, deps.logger);
      processes.close();
      await queue.close();
      await stopListening();
    },
  };
}

interface Stop {
  /** Aborted when a cancel for this job is requested (BullMQ's processor signal). */
  signal: AbortSignal | undefined;
  /** True once the worker is shutting down. */
  closing: () => boolean;
}

/**
 * One training job, start to end, through the JobStore's transitions. Every
 * way it ends is written to its record: a job that throws ends `failed` with
 * the reason, and the worker goes on.
 */
async function runJob(deps: WorkerDeps, processes: TrainingProcesses, trials: TrialRuns, bullJob: Job<TrainingJobData, void, 'train'>, jobId: string, stop: Stop): Promise<void> {
  const { jobs } = deps;
  const record = await jobs.get(jobId);
  const log = deps.logger.child({ job: jobId, model: record.model_name });
  // Taken again after its end was recorded (the worker died before BullMQ heard): nothing left to do.
  if (isTerminal(record.status)) return;
  if (record.cancel_requested) return endJob(log, () => jobs.cancel(jobId));

  const backend = { name: deps.backend.name, tensorflow_version: deps.backend.tensorflowVersion };
  const resume = await checkpointToResume(deps, record, log);
  let started: JobRecord;
  try {
    started = await jobs.start(jobId, backend, resume?.epoch ?? 0);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    log.info({ reason: error.message }, 'job ended before it started');
    return;
  }
  const { fit } = started;
  const trial = await trials.of(jobId);
  await trials.started(trial);
  if (resume) log.info({ epochs: fit.epochs, attempt: started.attempts, from_epoch: resume.epoch }, 'training resumed from its checkpoint');
  else log.info({ epochs: fit.epochs, attempt: started.attempts }, 'training started');

  let cancelSeen = false;
  try {
    const model = await deps.models.get(record.model_id);
    const dataset = await loadDataset(deps, record.dataset);
    const trainSamples = rowCount(splitValidation(dataset, fit.validation_split).train.x);
    const definition = trial?.definition ?? model.definition;
    const { engine, note } = chooseEngine(fit.engine ?? deps.config.TRAINING_ENGINE, definition);
    await jobs.setEngine(jobId, engine, note);
    log.info({ engine, note }, 'training engine chosen');
    if (resume && resume.engine !== engine) log.info({ saved_by: resume.engine }, 'the checkpoint is another engine\'s: weights restored, the optimizer starts afresh');
    let epochStarted = Date.now();
    let lastCheckpoint = epochStarted;
    let handingBack = false;
    const policy = { everyEpochs: deps.config.CHECKPOINT_EVERY, afterMs: deps.config.CHECKPOINT_AFTER_MS };
    const request = {
      engine,
      threads: deps.config.GRAPH_THREADS,
      backend: deps.backend.name,
      input: {
        definition,
        dataset,
        fit,
        preprocessing: record.preprocessing ?? undefined,
        earlyStopping: record.early_stopping ?? undefined,
        resume: resume ?? undefined,
        limits: { maxParams: deps.config.MAX_PARAMS, maxLayers: deps.config.MAX_LAYERS },
      },
    };
    const result = await processes.train(request, {
      shouldStop: () => cancelSeen || stop.signal?.aborted === true,
      onEpoch: async (epoch, logs) => {
        const progress = { epoch: epoch + 1, epochs: fit.epochs };
        const ms = Date.now() - epochStarted;
        deps.metrics?.observeEpoch(record.model_name, engine, ms / 1000, trainSamples);
        // The record's flag catches a cancel whose message this worker missed.
        if ((await jobs.appendEpoch(jobId, progress, logs)).cancel_requested) cancelSeen = true;
        if (trial && (await trial.epoch(progress, logs))) cancelSeen = true;
        await bullJob.updateProgress(progress);
        log.debug({ epoch: progress.epoch, ms, ...logs }, 'epoch');
        epochStarted = Date.now();
        // Shutting down: the epoch is whole, so stop here, checkpointed, and let another worker go on from it.
        handingBack = stop.closing();
        // The last epoch needs none: the version is saved next.
        if (cancelSeen || (!handingBack && progress.epoch === fit.epochs)) return { checkpoint: false };
        return { checkpoint: handingBack || checkpointDue(policy, progress.epoch, epochStarted - lastCheckpoint) };
      },
      onCheckpoint: async (checkpoint) => {
        try {
          await saveCheckpoint(deps.artifacts, jobId, checkpoint);
          log.debug({ epoch: checkpoint.epoch }, 'checkpoint saved');
        } catch (error) {
          // Only a safety net: training goes on, and a resume takes the previous checkpoint (the registry follows it).
          log.warn({ err: error, epoch: checkpoint.epoch }, 'could not save a checkpoint');
        }
        // The save's time is no part of the next epoch's duration.
        lastCheckpoint = Date.now();
        epochStarted = lastCheckpoint;
        if (handingBack) throw new HandBack();
      },
    });
    if (result.outcome === 'cancelled') return await endJob(log, () => jobs.cancel(jobId));

    const artifact = jobArtifactKey(record.model_id, jobId);
    await saveModelArtifacts(deps.artifacts, artifact, result.artifacts);
    const version = await addVersionOrDiscard(deps, artifact, record.model_id, {
      job_id: jobId,
      summary: result.summary,
      metrics: result.metrics,
      history: result.history,
      preprocessing: result.preprocessing,
      backend,
      input_shape: result.inputShape,
      output_shape: result.outputShape,
      class_names: dataset.classNames ?? null,
      artifact,
    });
    // A deferred input shape is known now: the model's record gets it and its summary, as Keras's model does after fit.
    // A trial's architecture is its own: the model's record takes the winner's at promote.
    if (model.input_shape === null && !trial) await deps.models.update(record.model_id, { input_shape: result.inputShape, summary: result.summary });
    await endJob(log, () => jobs.complete(jobId, version.version));
    log.info({ version: version.version, epochs: result.epochsRun, ...result.metrics }, 'training completed');
  } catch (error) {
    if (error instanceof HandBack) {
      await jobs.handBack(jobId);
      log.info('shutting down: job handed back to the queue');
      throw error;
    }
    log.warn({ err: error }, 'training failed');
    await endJob(log, () => jobs.fail(jobId, jobErrorOf(error)));
  }
}

/**
 * The checkpoint a job taken again goes on from: its last one, when the
 * registry recorded every epoch it holds (epochs are recorded before their
 * checkpoint is saved, so that holds unless the record was started afresh).
 * A checkpoint that cannot be read is passed over: the job starts afresh.
 */
async function checkpointToResume(deps: WorkerDeps, record: JobRecord, log: Logger): Promise<TrainingCheckpoint | null> {
  if (record.attempts === 0) return null;
  let checkpoint: TrainingCheckpoint | null;
  try {
    checkpoint = await loadCheckpoint(deps.artifacts, record.id);
  } catch (error) {
    log.warn({ err: error }, 'the job\'s checkpoint cannot be read: it starts afresh');
    return null;
  }
  if (!checkpoint) return null;
  if (checkpoint.epoch > record.progress.epoch || checkpoint.epoch > record.fit.epochs) {
    log.warn({ checkpoint: checkpoint.epoch, recorded: record.progress.epoch }, 'the job\'s checkpoint is ahead of its record: it starts afresh');
    return null;
  }
  return checkpoint;
}

/** The version's record, or, when that fails (the model was deleted meanwhile), its files gone too. */
async function addVersionOrDiscard(deps: WorkerDeps, artifact: string, modelId: string, input: AddVersionInput): Promise<VersionRecord> {
  try {
    return await deps.models.addVersion(modelId, input);
  } catch (error) {
    await deps.artifacts.delete(artifact);
    throw error;
  }
}

/** A job's last transition; when another process ended it first, that end stands. */
async function endJob(log: Logger, transition: () => Promise<unknown>): Promise<void> {
  try {
    await transition();
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    log.warn({ reason: error.message }, 'job already ended elsewhere');
  }
}
