import autocannon from 'autocannon';
import { irisCase, mnistMlpCase } from './cases.js';
import type { ServiceClient } from './client.js';
import { log } from './log.js';
import { procMemoryMb, resetPeakRss, treePeakRssMb } from './proc.js';
import type { MemoryPhase, MemoryResult, ProcessSnapshot } from './report-types.js';
import { SERVING_MODEL, ensureIrisModel } from './serving.js';
import type { Sizes } from './sizes.js';

export interface MemoryContext {
  client: ServiceClient;
  servicePid: number;
  sizes: Sizes;
  /** The peak the training part measured on the full-MNIST job; measured here when that part did not run. */
  mnistPeakRssMb: number | null;
}

/** A Prometheus sample whose metric name speaks of tensors (not their bytes): the process's tf.memory().numTensors. */
export function tensorCountFrom(metrics: string): { name: string; value: number } | null {
  for (const line of metrics.split('\n')) {
    const match = /^([A-Za-z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const name = match[1] as string;
    if (/tensors?(_count|_total)?$/i.test(name) && !/bytes/i.test(name)) return { name, value: Number(match[3]) };
  }
  return null;
}

async function snapshot(ctx: MemoryContext): Promise<{ snapshot: ProcessSnapshot; source: string | null }> {
  const metrics = await ctx.client.text('/metrics');
  const tensors = metrics ? tensorCountFrom(metrics) : null;
  return {
    snapshot: { rss_mb: procMemoryMb(ctx.servicePid, 'VmRSS') ?? Number.NaN, num_tensors: tensors?.value ?? null },
    source: tensors ? `GET /metrics ${tensors.name}` : null,
  };
}

function phase(what: string, count: number, before: ProcessSnapshot, after: ProcessSnapshot): MemoryPhase {
  return {
    what,
    count,
    before,
    after,
    rss_growth_mb: after.rss_mb - before.rss_mb,
    tensor_growth: before.num_tensors !== null && after.num_tensors !== null ? after.num_tensors - before.num_tensors : null,
  };
}

async function predictions(ctx: MemoryContext, count: number): Promise<void> {
  const result = await autocannon({
    url: `${ctx.client.url}/v1/models/${SERVING_MODEL}/predict`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ instances: [[5.3, 3.4, 1.9, 0.6]] }),
    connections: 4,
    amount: count,
  });
  if (result.non2xx || result.errors) throw new Error(`memory: ${result.non2xx} non-2xx answers and ${result.errors} errors among ${count} predictions`);
}

/** The full-MNIST MLP job, one epoch (the peak comes from the data and the batches, not the epoch count). */
async function mnistPeak(ctx: MemoryContext): Promise<number | null> {
  const spec = mnistMlpCase({ ...ctx.sizes, mnistMlp: { ...ctx.sizes.mnistMlp, epochs: 1 } });
  await ctx.client.expect(201, 'POST', '/v1/models', {
    name: 'mem-mnist',
    architecture: { type: 'sequential', input_shape: spec.inputShape, layers: spec.layers },
    compile: spec.compile,
  });
  resetPeakRss(ctx.servicePid);
  const limit = spec.data.kind === 'builtin' ? spec.data.limit : undefined;
  await ctx.client.train({ model: 'mem-mnist', dataset: { builtin: 'mnist', split: 'train', ...(limit ? { limit } : {}) }, fit: spec.fit });
  return treePeakRssMb(ctx.servicePid);
}

/**
 * Part 4: RSS and tensor count of the service process around many predictions
 * (the API's path) and many training jobs (the worker's path).
 */
export async function runMemory(ctx: MemoryContext): Promise<MemoryResult> {
  const { client, sizes } = ctx;
  const notes: string[] = [];
  await ensureIrisModel(ctx, notes);
  // Loaded and warmed first: the model held by the cache is not growth.
  await predictions(ctx, 20);
  const beforePredict = await snapshot(ctx);
  log(`memory: ${sizes.memory.predictions} predictions`);
  await predictions(ctx, sizes.memory.predictions);
  const afterPredict = await snapshot(ctx);

  const spec = irisCase({ ...sizes, iris: { epochs: sizes.memory.jobEpochs } });
  await client.expect(201, 'POST', '/v1/models', { name: 'mem-iris', architecture: { type: 'sequential', layers: spec.layers }, compile: spec.compile });
  const job = { model: 'mem-iris', dataset: { builtin: 'iris' }, fit: spec.fit };
  await client.train(job);
  const beforeTrain = await snapshot(ctx);
  log(`memory: ${sizes.memory.trainingJobs} training jobs`);
  for (let i = 0; i < sizes.memory.trainingJobs; i++) await client.train(job);
  const afterTrain = await snapshot(ctx);

  const source = beforePredict.source ?? afterTrain.source;
  if (!source) {
    notes.push(
      'tensor counts unavailable: the service exposes no tf.memory().numTensors (wanted: a gauge such as modelyard_tf_tensors on GET /metrics, and the same for `modelyard worker` processes, which serve no HTTP)',
    );
  }
  let mnistPeakRssMb = ctx.mnistPeakRssMb;
  if (mnistPeakRssMb === null) {
    log('memory: the full-MNIST job for the worker peak (the training part did not run)');
    mnistPeakRssMb = await mnistPeak(ctx);
    notes.push('worker peak on MNIST measured here: 1 epoch of the MNIST MLP (the training part did not run)');
  }
  return {
    process: `modelyard all (pid ${ctx.servicePid}): API and worker in one process; predictions exercise the API, training jobs the worker`,
    tensor_source: source,
    phases: [
      phase(`predictions (1 instance, ${SERVING_MODEL})`, sizes.memory.predictions, beforePredict.snapshot, afterPredict.snapshot),
      phase(`training jobs (Iris, ${sizes.memory.jobEpochs} epochs, validation_split 0.1)`, sizes.memory.trainingJobs, beforeTrain.snapshot, afterTrain.snapshot),
    ],
    mnist_peak_rss_mb: mnistPeakRssMb,
    notes,
  };
}
