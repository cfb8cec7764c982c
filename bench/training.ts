import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync, strFromU8 } from 'fflate';
import { housingCase, irisCase, mnistCnnCase, mnistMlpCase, type CaseSpec } from './cases.js';
import { between, finalMetrics, type ServiceClient } from './client.js';
import { log } from './log.js';
import { REPO_ROOT } from './processes.js';
import { resetPeakRss, treePeakRssMb } from './proc.js';
import type { ServiceRunResult, TrainingCase } from './report-types.js';
import { runGraphScript, runKeras, runTfjsScript, type ScriptResult } from './scripts.js';
import type { Sizes } from './sizes.js';

/** The copy the built-in california_housing dataset reads: the same bytes the service's built-in holds. */
export const HOUSING_CSV = resolve(REPO_ROOT, 'assets', 'california_housing.csv.gz');

export interface TrainingContext {
  client: ServiceClient;
  /** The service process, whose peak RSS each job is measured by. */
  servicePid: number;
  sizes: Sizes;
  /** Python with Keras, or null when Keras is not run. */
  python: string | null;
  workDir: string;
  housingCsv: string;
  /** Runs of each case by each runner; the median run is reported. */
  repeat: number;
  /** Only these cases (by name); all when null. */
  only: string[] | null;
  /** Said once however many cases hit it. */
  notes: Set<string>;
}

export interface TrainingOutcome {
  cases: TrainingCase[];
  /** VmHWM of the service process over the MNIST MLP job: the worker's peak on full MNIST. */
  mnistPeakRssMb: number | null;
  notes: string[];
}

/** The housing CSV (gzipped or not), cut to `rows` data rows in quick mode, written where the service and the scripts read it; null when absent. */
function prepareHousing(source: string, rows: number | undefined, workDir: string): { path: string; target: string; rows: number } | null {
  if (!existsSync(source)) return null;
  const text = source.endsWith('.gz') ? strFromU8(gunzipSync(readFileSync(source))) : readFileSync(source, 'utf8');
  const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
  const header = lines[0] ?? '';
  // scikit-learn's fetch_california_housing layout: the target (MedHouseVal) is the last column.
  const target = header.split(',').at(-1)?.trim() ?? '';
  const kept = rows === undefined ? lines : lines.slice(0, rows + 1);
  const path = join(workDir, 'california_housing.csv');
  writeFileSync(path, `${kept.join('\n')}\n`);
  return { path, target, rows: kept.length - 1 };
}

async function datasetRef(client: ServiceClient, spec: CaseSpec): Promise<unknown> {
  const data = spec.data;
  if (data.kind === 'builtin') return { builtin: data.builtin, split: data.split, ...(data.limit ? { limit: data.limit } : {}) };
  const query = new URLSearchParams({ name: spec.name, target: data.target });
  const stored = await client.expect<{ id: string }>(201, 'POST', `/v1/datasets?${query}`, readFileSync(data.path, 'utf8'), 'text/csv');
  return { id: stored.id };
}

async function prepareOnService(ctx: TrainingContext, spec: CaseSpec): Promise<unknown> {
  await ctx.client.expect(201, 'POST', '/v1/models', {
    name: spec.name,
    architecture: { type: 'sequential', layers: spec.layers, ...(spec.inputShape ? { input_shape: spec.inputShape } : {}) },
    compile: spec.compile,
  });
  return datasetRef(ctx.client, spec);
}

type ServiceRun = Omit<ServiceRunResult, 'samples_per_s' | 'runs_total_s'>;

async function trainOnService(ctx: TrainingContext, spec: CaseSpec, dataset: unknown, engine: 'graph' | 'eager'): Promise<ServiceRun> {
  if (!resetPeakRss(ctx.servicePid)) ctx.notes.add('peak RSS could not be reset (/proc/<pid>/clear_refs): service peaks are since the process started');
  const { record, submitToCompletedMs } = await ctx.client.train({
    model: spec.name,
    dataset,
    fit: { ...spec.fit, shuffle: true, engine },
    ...(spec.standardize ? { preprocessing: { standardize: true } } : {}),
  });
  if (record.engine !== engine) ctx.notes.add(`${spec.name}: asked for the ${engine} engine, the job trained on ${record.engine ?? 'none'} (${record.engine_note ?? 'no note'})`);
  return {
    job_id: record.id,
    engine: record.engine,
    total_s: submitToCompletedMs / 1000,
    fit_s: between(record.started_at, record.finished_at) / 1000,
    queue_wait_ms: between(record.created_at, record.started_at),
    metrics: finalMetrics(record.history),
    peak_rss_mb: treePeakRssMb(ctx.servicePid),
  };
}

/**
 * One tiny job on each engine before anything is timed: the worker's training process starts
 * TensorFlow once and then serves every job, and the first job should not carry that start
 * when the scripts' and Keras's interpreter starts are not timed either.
 */
async function warmUp(client: ServiceClient): Promise<void> {
  await client.expect(201, 'POST', '/v1/models', {
    name: 'warm-up',
    architecture: { type: 'sequential', input_shape: [2], layers: [{ type: 'Dense', units: 1 }] },
    compile: { loss: 'mse' },
  });
  for (const engine of ['graph', 'eager']) {
    await client.train({ model: 'warm-up', dataset: { x: [[0, 0], [0, 1], [1, 0], [1, 1]], y: [[0], [1], [1], [0]] }, fit: { epochs: 1, engine } });
  }
}

const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? a / b : null);

/** The run with the median total time (the lower one of an even count), with every run's total beside it. */
function median<T extends { total_s: number }>(runs: T[]): (T & { runs_total_s: number[] }) | null {
  const sorted = [...runs].sort((a, b) => a.total_s - b.total_s);
  const chosen = sorted[Math.floor((sorted.length - 1) / 2)];
  return chosen ? { ...chosen, runs_total_s: runs.map((r) => r.total_s) } : null;
}

/** One case, `repeat` times in turn (service on each engine, graph engine alone, tfjs script, Keras), so drifting load on the machine hits each alike. */
async function runCase(ctx: TrainingContext, spec: CaseSpec): Promise<TrainingCase> {
  const dataset = await prepareOnService(ctx, spec);
  const services: ServiceRun[] = [];
  const eagerServices: ServiceRun[] = [];
  const graphs: ScriptResult[] = [];
  const scripts: ScriptResult[] = [];
  const kerasRuns: ScriptResult[] = [];
  for (let run = 1; run <= ctx.repeat; run++) {
    const label = `training ${spec.name}${ctx.repeat > 1 ? ` (${run}/${ctx.repeat})` : ''}`;
    log(`${label}: service, graph engine`);
    services.push(await trainOnService(ctx, spec, dataset, 'graph'));
    log(`${label}: service (graph) ${services.at(-1)?.total_s.toFixed(1)} s; service, eager engine`);
    eagerServices.push(await trainOnService(ctx, spec, dataset, 'eager'));
    log(`${label}: service (eager) ${eagerServices.at(-1)?.total_s.toFixed(1)} s; graph engine alone`);
    graphs.push(await runGraphScript(spec, ctx.workDir));
    log(`${label}: graph engine ${graphs.at(-1)?.total_s.toFixed(1)} s; tfjs script`);
    scripts.push(await runTfjsScript(spec, ctx.workDir));
    log(`${label}: tfjs script ${scripts.at(-1)?.total_s.toFixed(1)} s${ctx.python ? '; Keras' : ''}`);
    if (ctx.python) {
      kerasRuns.push(await runKeras(ctx.python, spec, ctx.workDir));
      log(`${label}: Keras ${kerasRuns.at(-1)?.total_s.toFixed(1)} s`);
    }
  }
  const service = median(services);
  const eager = median(eagerServices);
  const tfjs = median(scripts);
  const keras = median(kerasRuns);
  const graph = median(graphs);
  if (!service || !eager || !tfjs) throw new Error(`${spec.name}: no runs`);
  const samples = tfjs.train_samples * spec.fit.epochs;
  const strip = ({ train_samples: _t, validation_samples: _v, ...result }: ScriptResult & { runs_total_s: number[] }) => result;
  return {
    name: spec.name,
    description: spec.description,
    train_samples: tfjs.train_samples,
    validation_samples: tfjs.validation_samples,
    epochs: spec.fit.epochs,
    batch_size: spec.fit.batch_size,
    service: { ...service, samples_per_s: samples / service.fit_s },
    service_eager: { ...eager, samples_per_s: samples / eager.fit_s },
    graph: graph ? strip(graph) : null,
    tfjs: strip(tfjs),
    keras: keras ? strip(keras) : null,
    ratio_service_keras_fit: ratio(service.fit_s, keras?.fit_s),
    ratio_service_keras: ratio(service.total_s, keras?.total_s),
    ratio_service_tfjs: ratio(eager.total_s, tfjs.total_s),
    ratio_service_job_tfjs_fit: ratio(eager.fit_s, tfjs.fit_s),
    ratio_graph_keras_fit: ratio(graph?.fit_s, keras?.fit_s),
    ratio_graph_tfjs_fit: ratio(graph?.fit_s, tfjs.fit_s),
    notes: [],
  };
}

/** Part 1: each seed example trained by the service on each engine, by the graph engine alone, by a plain tfjs script and (when available) by Keras. */
export async function runTraining(ctx: Omit<TrainingContext, 'notes'>): Promise<TrainingOutcome> {
  const notes: string[] = [];
  const once = new Set<string>();
  const cases: TrainingCase[] = [];
  const housing = prepareHousing(ctx.housingCsv, ctx.sizes.housing.rows, ctx.workDir);
  const specs = [irisCase(ctx.sizes), mnistMlpCase(ctx.sizes), mnistCnnCase(ctx.sizes)];
  if (housing) specs.push(housingCase(ctx.sizes, housing.path, housing.target, housing.rows));
  else notes.push(`California housing skipped: ${ctx.housingCsv} is absent`);
  const chosen = ctx.only ? specs.filter((spec) => ctx.only?.includes(spec.name)) : specs;

  log('training: a warm-up job on each engine');
  await warmUp(ctx.client);
  let mnistPeakRssMb: number | null = null;
  for (const spec of chosen) {
    const result = await runCase({ ...ctx, notes: once }, spec);
    if (spec.name === 'mnist_mlp') mnistPeakRssMb = result.service?.peak_rss_mb ?? null;
    cases.push(result);
  }
  return { cases, mnistPeakRssMb, notes: [...notes, ...once] };
}
