import { randomInt } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ConflictError, ValidationError } from '../../errors.js';
import { metricKey, parseModelDefinition, type ModelDefinition } from '../../models/index.js';
import { newId } from '../../registry/ids.js';
import { advanceSweep, type AdvanceDeps } from '../../sweeps/advance.js';
import { TRIAL_STATUSES, objectiveMode, sweepStatusEvent, trialEvent, type SweepEvent, type SweepRecord, type Trial, type TrialStatus } from '../../sweeps/record.js';
import { checkDistributions, checkPathsExist, describePoint, edgePoints, gridPoints, randomPoints, type Point } from '../../sweeps/space.js';
import { spaceRoot, trialArguments, type SweepBase } from '../../sweeps/trial.js';
import { ownedBy, visibleTo, type Tenant } from '../../registry/tenants.js';
import type { CreateSweep } from '../schemas/sweeps.js';
import { openEventStream } from '../sse.js';
import { cancelJob } from './job-control.js';
import { checkTraining, describeData, type DataFacts } from './jobs.js';
import { createModel } from './models.js';
import { ownModel } from './owned.js';

type Deps = Pick<FastifyInstance, 'config' | 'models' | 'datasets' | 'jobs' | 'artifacts' | 'queue' | 'sweeps'>;

/** KerasTuner's default for random search. */
const DEFAULT_RANDOM_TRIALS = 10;

export type SweepView = SweepRecord & { trial_counts: Record<TrialStatus, number>; trials: Trial[] };

function advanceDeps(deps: Deps): AdvanceDeps {
  return {
    sweeps: deps.sweeps,
    jobs: deps.jobs,
    models: deps.models,
    queue: deps.queue,
    // Every trial's job, whoever asks: the sweep was already checked to be the caller's.
    cancelJob: async (jobId) => void (await cancelJob(deps, null, jobId)),
  };
}

/**
 * Checks the whole space before anything is stored or queued: every point
 * that will run (and, for random search, every value at a distribution's
 * edges) goes through the checks a model and a job go through. Then stores
 * the sweep with its trials, and queues the first `parallelism` of them, as
 * the tenant's: its model and dataset must be the tenant's too.
 */
export async function createSweep(deps: Deps, tenant: Tenant, request: CreateSweep): Promise<SweepView> {
  if ('x' in request.dataset) throw ValidationError.at('dataset', 'a sweep trains many times on one dataset: upload it once with POST /v1/datasets and refer to it by id');
  const stored = typeof request.model === 'string' ? await ownModel(deps, tenant, request.model) : null;
  const definition = stored ? stored.definition : parseModelDefinition(request.model, 'model');
  const name = stored?.name ?? definition.name;
  if (!stored && name !== undefined && (await deps.models.find(name))) {
    throw new ConflictError(`a model named '${name}' exists; refer to it by name, or give the inline definition another name`);
  }
  const base: SweepBase = { definition, fit: request.fit };
  checkDistributions(request.space);
  checkPathsExist(spaceRoot(base), request.space);

  const seed = request.strategy === 'random' ? (request.seed ?? randomInt(2 ** 32 - 1)) : null;
  const points =
    seed === null ? gridPoints(request.space).slice(0, request.max_trials) : randomPoints(request.space, request.max_trials ?? DEFAULT_RANDOM_TRIALS, seed);
  const objective = { metric: request.objective.metric, mode: objectiveMode(request.objective) };
  const data = await describeData(deps, tenant, request.dataset);
  const modelName = name ?? 'the inline model';
  // The base on its own first, so a fault of the base is not blamed on a point.
  checkArguments(deps, base, {}, modelName, request, data, objective.metric);
  for (const point of seed === null ? points : [...edgePoints(request.space), ...points]) checkPoint(deps, base, point, modelName, request, data, objective.metric);

  const model = stored ?? (await createModel(deps, tenant, { ...definition, name: name ?? `sweep-${newId('sweep').slice(4).toLowerCase()}` }));
  if (!data.ref) throw new TypeError('inline data was refused above');
  const trials = points.map((params, index): Trial => ({ index, params, status: 'pending', job_id: null, objective: null, objective_history: [], version: null, error: null }));
  const sweep = await deps.sweeps.create(
    {
      id: newId('sweep'),
      model_id: model.id,
      model_name: model.name,
      definition,
      dataset: data.ref,
      fit: request.fit,
      preprocessing: request.preprocessing ?? null,
      early_stopping: request.early_stopping ?? null,
      space: request.space,
      strategy: request.strategy,
      seed,
      max_trials: points.length,
      parallelism: request.parallelism,
      objective,
      trial_stopping: request.trial_stopping ?? null,
      tenant,
    },
    trials,
  );
  await advanceSweep(advanceDeps(deps), sweep.id);
  return getSweep(deps, tenant, sweep.id);
}

function checkArguments(deps: Deps, base: SweepBase, point: Point, modelName: string, request: CreateSweep, data: DataFacts, metric: string): void {
  const { definition, fit } = trialArguments(base, point);
  checkTraining(deps, { name: modelName, definition }, fit, request.preprocessing, data);
  checkObjective(metric, definition, fit.validation_split);
}

/** One point through the model's and the job's checks; a failure names the point. */
function checkPoint(deps: Deps, base: SweepBase, point: Point, modelName: string, request: CreateSweep, data: DataFacts, metric: string): void {
  try {
    checkArguments(deps, base, point, modelName, request, data, metric);
  } catch (error) {
    if (!(error instanceof AppError) || error.status !== 400) throw error;
    const at = describePoint(point);
    const details = error.details.length ? error.details : [{ path: 'space', message: error.message }];
    throw new ValidationError(`the space point ${at} is invalid: ${error.message}`, [
      ...Object.entries(point).map(([path, value]) => ({ path: `space.${path}`, message: `${JSON.stringify(value)} is part of an invalid point` })),
      ...details.map((d) => ({ path: d.path, message: `${d.message} (with ${at})` })),
    ]);
  }
}

/** The objective must be a key the trials' epoch logs will have. */
function checkObjective(metric: string, definition: ModelDefinition, validationSplit: number): void {
  const train = ['loss', ...(definition.compile?.metrics ?? []).map((m) => metricKey(m))];
  const keys = validationSplit > 0 ? [...train, ...train.map((k) => `val_${k}`)] : train;
  if (!keys.includes(metric)) {
    const hint = metric.startsWith('val_') && validationSplit === 0 ? '; validation metrics need fit.validation_split above 0' : '';
    throw ValidationError.at('objective.metric', `'${metric}' is not in the epoch logs; they will hold ${keys.join(', ')}${hint}`);
  }
}

function counts(trials: Trial[]): Record<TrialStatus, number> {
  const out = Object.fromEntries(TRIAL_STATUSES.map((s) => [s, 0])) as Record<TrialStatus, number>;
  for (const t of trials) out[t.status] += 1;
  return out;
}

/** The sweep, when the tenant sees it; another tenant's is the 404 of a sweep that does not exist. */
async function ownSweep(deps: Pick<Deps, 'sweeps'>, tenant: Tenant, id: string): Promise<SweepRecord> {
  return ownedBy(tenant, 'sweep', id, await deps.sweeps.find(id));
}

const withTrials = (sweep: SweepRecord, trials: Trial[]): SweepView => ({ ...sweep, trial_counts: counts(trials), trials });

export async function getSweep(deps: Pick<Deps, 'sweeps'>, tenant: Tenant, id: string): Promise<SweepView> {
  const [sweep, trials] = await Promise.all([ownSweep(deps, tenant, id), deps.sweeps.trials(id)]);
  return withTrials(sweep, trials);
}

/** The list already holds each sweep's record: only its trials are read. */
export async function listSweeps(deps: Pick<Deps, 'sweeps'>, tenant: Tenant): Promise<SweepView[]> {
  const visible = (await deps.sweeps.list()).filter((sweep) => visibleTo(tenant, sweep));
  return Promise.all(visible.map(async (sweep) => withTrials(sweep, await deps.sweeps.trials(sweep.id))));
}

/** Cancels the sweep: no trial is queued after this, and every queued or running one is cancelled. */
export async function cancelSweep(deps: Deps, tenant: Tenant, id: string): Promise<SweepView> {
  await ownSweep(deps, tenant, id);
  await deps.sweeps.transition(id, 'cancelled', ['running']).then(
    (sweep) => deps.sweeps.publish(id, sweepStatusEvent(sweep)),
    (error: unknown) => {
      if (error instanceof ConflictError) throw new ConflictError(`${error.message}; only a running sweep can be cancelled`);
      throw error;
    },
  );
  await advanceSweep(advanceDeps(deps), id);
  return getSweep(deps, tenant, id);
}

/** The sweeps of a model being deleted (whoever started them): cancelled, so none queues another trial. */
export async function cancelModelSweeps(deps: Deps, modelId: string): Promise<void> {
  for (const sweep of await deps.sweeps.list()) {
    if (sweep.model_id !== modelId || sweep.status !== 'running') continue;
    try {
      await cancelSweep(deps, null, sweep.id);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
}

/**
 * Makes the best trial the model's latest: its definition becomes the
 * model's, and its version is added again as the model's newest, so every
 * API serving the model (which follows the model events) serves it. Once per
 * sweep: promoting again returns the version the first promote made.
 */
export async function promoteSweep(deps: Deps, tenant: Tenant, id: string): Promise<SweepView> {
  const sweep = await ownSweep(deps, tenant, id);
  if (!sweep.best) {
    throw new ConflictError(sweep.status === 'running' ? `sweep ${id} is still running; promote once it has completed` : `sweep ${id} has no completed trial to promote`);
  }
  const trial = (await deps.sweeps.trials(id)).find((t) => t.index === sweep.best?.trial);
  if (!trial) throw new ConflictError(`sweep ${id} lost its best trial`);
  const { definition } = trialArguments(sweep, trial.params);
  const { model_id: _model, version: _version, created_at: _created, ...facts } = await deps.models.getVersion(sweep.model_id, sweep.best.version);
  const inputShape = facts.input_shape.every((n) => n !== null) ? facts.input_shape : null;
  await deps.models.update(sweep.model_id, { definition, summary: facts.summary, ...(inputShape ? { input_shape: inputShape } : {}) });
  // The sweep's id as the version's job: adding it again returns the version made the first time.
  const promoted = await deps.models.addVersion(sweep.model_id, { ...facts, job_id: sweep.id });
  await deps.sweeps.update(id, { promoted_version: promoted.version });
  const view = await getSweep(deps, tenant, id);
  await deps.sweeps.publish(id, sweepStatusEvent(view));
  return view;
}

/**
 * Server-Sent Events for one sweep: its status and every trial as they now
 * stand, then live `trial` (a trial queued, started or ended), `epoch` (a
 * running trial's epoch, with its objective) and `status` events, closing
 * when the sweep has ended.
 */
export async function streamSweepEvents(deps: Pick<Deps, 'sweeps'>, tenant: Tenant, id: string, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  await ownSweep(deps, tenant, id);
  const stream = openEventStream(request, reply);
  const write = (event: SweepEvent) => stream.send(event.type, event.data);
  const ends = (event: SweepEvent) => event.type === 'status' && event.data.status !== 'running';
  // Subscribe before reading the sweep, so nothing falls between the two.
  await stream.onClose(await deps.sweeps.subscribe(id, (event) => {
    write(event);
    if (ends(event)) stream.close();
  }));
  if (stream.closed) return;
  const view = await getSweep(deps, tenant, id);
  for (const trial of view.trials) write(trialEvent(trial));
  const status = sweepStatusEvent(view);
  write(status);
  if (ends(status)) stream.close();
}
