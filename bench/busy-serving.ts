import autocannon from 'autocannon';
import { mnistCnnCase } from './cases.js';
import type { ServiceClient } from './client.js';
import { log } from './log.js';
import type { BusyServingResult } from './report-types.js';
import type { Sizes } from './sizes.js';

const MODEL = 'busy-cnn';
const CONNECTIONS = 1;

/**
 * Predict latency of the API while `modelyard all` trains the MNIST CNN: the
 * training runs in the worker's training process, so the API's event loop
 * and its predictions should not wait on it. Load runs from when the job is
 * running until it ends.
 */
export async function runBusyServing(client: ServiceClient, sizes: Sizes, predictUrl: string, body: string): Promise<BusyServingResult> {
  const spec = mnistCnnCase(sizes);
  const existing = await client.request('GET', `/v1/models/${MODEL}`);
  if (existing.status === 404) {
    await client.expect(201, 'POST', '/v1/models', { name: MODEL, architecture: { type: 'sequential', input_shape: spec.inputShape, layers: spec.layers }, compile: spec.compile });
  }
  const data = spec.data.kind === 'builtin' ? spec.data : null;
  if (!data) throw new Error('the CNN case trains on the built-in MNIST');
  const job = await client.submitJob({ model: MODEL, dataset: { builtin: data.builtin, split: data.split, ...(data.limit ? { limit: data.limit } : {}) }, fit: spec.fit });
  let status: string = job.status;
  while (status === 'queued') {
    await new Promise((resolve) => setTimeout(resolve, 50));
    status = (await client.expect<{ status: string }>(200, 'GET', `/v1/jobs/${job.id}`)).status;
  }
  log(`serving during training: predict at ${CONNECTIONS} connection(s) while job ${job.id} (${spec.description}) trains`);
  let finish: (result: autocannon.Result) => void = () => undefined;
  const loaded = new Promise<autocannon.Result>((resolve) => (finish = resolve));
  const instance = autocannon(
    { url: predictUrl, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: CONNECTIONS, duration: 3600 },
    (error, result) => (error ? finish({ ...result, errors: result?.errors ?? 1 }) : finish(result)),
  );
  const record = await client.waitForJob(job.id);
  instance.stop();
  const result = await loaded;
  if (record.status !== 'completed') throw new Error(`the CNN job ended ${record.status}: ${JSON.stringify(record.error)}`);
  log(`serving during training: ${result.requests.total} predictions, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`);
  return {
    job: spec.description,
    engine: record.engine ?? null,
    connections: CONNECTIONS,
    seconds: result.duration,
    requests: result.requests.total,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    errors: result.errors,
    non_2xx: result.non2xx,
  };
}
