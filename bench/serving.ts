import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { loadBuiltin } from '../src/datasets/builtins.js';
import { runBusyServing } from './busy-serving.js';
import { irisCase } from './cases.js';
import type { ServiceClient } from './client.js';
import { grpcLoad, V2GrpcClient } from './grpc-load.js';
import { log } from './log.js';
import { measureNewVersions } from './new-version.js';
import { startChild, waitFor, type Child } from './processes.js';
import type { LoadResult, NewVersionDelay, ServingResult, ServingTarget } from './report-types.js';
import type { Sizes } from './sizes.js';

export const SERVING_MODEL = 'iris';

export interface ServingContext {
  client: ServiceClient;
  sizes: Sizes;
  workDir: string;
}

/** The Iris model the training part trained; trained here when that part did not run. */
export async function ensureIrisModel(ctx: Pick<ServingContext, 'client' | 'sizes'>, notes: string[]): Promise<void> {
  const existing = await ctx.client.request<{ latest_version: number }>('GET', `/v1/models/${SERVING_MODEL}`);
  if (existing.status === 200 && existing.body.latest_version > 0) return;
  const spec = irisCase({ ...ctx.sizes, iris: { epochs: ctx.sizes.servingIrisEpochs } });
  if (existing.status === 404) {
    await ctx.client.expect(201, 'POST', '/v1/models', { name: SERVING_MODEL, architecture: { type: 'sequential', layers: spec.layers }, compile: spec.compile });
  }
  await ctx.client.train({ model: SERVING_MODEL, dataset: { builtin: 'iris' }, fit: spec.fit });
  notes.push(`the training part did not run: the Iris model was trained for this part (${spec.fit.epochs} epochs)`);
}

/** `count` Iris flowers, cycling through the data set: a predict request body. */
function irisInstances(count: number): number[][] {
  const { x } = loadBuiltin('iris');
  const rows = x.shape[0] as number;
  return Array.from({ length: count }, (_, i) => Array.from(x.data.subarray((i % rows) * 4, (i % rows) * 4 + 4)));
}

async function startBareServer(responsesPath: string): Promise<Child & { url: string }> {
  const child = startChild('bare fastify', process.execPath, ['--import', 'tsx', 'bench/bare-server.ts', responsesPath]);
  let port = 0;
  await waitFor('the bare Fastify server listens', child, async () => {
    port = Number(/"port":(\d+)/.exec(child.output())?.[1] ?? 0);
    return port > 0;
  });
  return { ...child, url: `http://127.0.0.1:${port}` };
}

async function load(url: string, body: string, connections: number, options: { seconds?: number; amount?: number }): Promise<autocannon.Result> {
  return autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds ?? 1 }),
  });
}

/** Where the service answers the protocols besides its API. */
export interface ServingEndpoints {
  tfservingUrl: string;
  grpcAddress: string;
}

/** One target's request for `count` flowers: an HTTP URL and JSON body, or a gRPC ModelInfer request. */
type Request = { url: string; body: string } | { grpc: object };

function requests(ctx: ServingContext, endpoints: ServingEndpoints, bareUrl: string, count: number): Record<ServingTarget, Request> {
  const flowers = irisInstances(count);
  const flat = flowers.flat();
  return {
    predict: { url: `${ctx.client.url}/v1/models/${SERVING_MODEL}/predict`, body: JSON.stringify({ instances: flowers }) },
    v2: {
      url: `${ctx.client.url}/v2/models/${SERVING_MODEL}/infer`,
      body: JSON.stringify({ inputs: [{ name: 'input', shape: [count, 4], datatype: 'FP32', data: flat }] }),
    },
    grpc: { grpc: { model_name: SERVING_MODEL, inputs: [{ name: 'input', datatype: 'FP32', shape: [count, 4], contents: { fp32_contents: flat } }] } },
    tfserving: { url: `${endpoints.tfservingUrl}/v1/models/${SERVING_MODEL}:predict`, body: JSON.stringify({ instances: flowers }) },
    bare: { url: `${bareUrl}/predict/${count}`, body: JSON.stringify({ instances: flowers }) },
  };
}

/** The targets in the order each row of the report loads them, the bare ceiling last. */
const TARGETS: ServingTarget[] = ['predict', 'v2', 'grpc', 'tfserving', 'bare'];

/** The body's bytes of one answer (checked to be a 200), for the report. */
async function responseBytes(request: { url: string; body: string }): Promise<number> {
  const response = await fetch(request.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: request.body });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`POST ${request.url} answered ${response.status}: ${text.slice(0, 2000)}`);
  return Buffer.byteLength(text);
}

async function measure(grpc: V2GrpcClient, request: Request, connections: number, sizes: Sizes['serving']): Promise<Omit<LoadResult, 'target' | 'instances' | 'connections' | 'response_bytes'>> {
  if ('grpc' in request) {
    await grpcLoad(grpc, request.grpc, connections, { amount: sizes.warmupRequests });
    const result = await grpcLoad(grpc, request.grpc, connections, { seconds: sizes.seconds });
    return { seconds: result.seconds, requests: result.requests, requests_per_s: result.requests / result.seconds, p50_ms: result.p50_ms, p99_ms: result.p99_ms, errors: result.errors, non_2xx: 0 };
  }
  await load(request.url, request.body, connections, { amount: sizes.warmupRequests });
  const result = await load(request.url, request.body, connections, { seconds: sizes.seconds });
  return {
    seconds: result.duration,
    requests: result.requests.total,
    requests_per_s: result.requests.total / result.duration,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    errors: result.errors,
    non_2xx: result.non2xx,
  };
}

/**
 * Part 3: the same predictions under load through every protocol (/v1 predict,
 * V2 REST and gRPC infer, TF Serving's :predict), beside a bare Fastify route
 * answering /v1's bytes; then how soon a new version is served on each, and
 * predict latency while the service trains.
 */
export async function runServing(ctx: ServingContext, endpoints: ServingEndpoints): Promise<ServingResult> {
  const notes: string[] = [];
  await ensureIrisModel(ctx, notes);
  const responses: Record<string, unknown> = {};
  for (const count of ctx.sizes.serving.instances) {
    responses[count] = await ctx.client.expect(200, 'POST', `/v1/models/${SERVING_MODEL}/predict`, { instances: irisInstances(count) });
  }
  const responsesPath = join(ctx.workDir, 'bare-responses.json');
  writeFileSync(responsesPath, JSON.stringify(responses));
  const bare = await startBareServer(responsesPath);
  const grpc = new V2GrpcClient(endpoints.grpcAddress);

  const results: LoadResult[] = [];
  let newVersion: NewVersionDelay[];
  try {
    for (const instances of ctx.sizes.serving.instances) {
      const byTarget = requests(ctx, endpoints, bare.url, instances);
      const bytes = new Map<ServingTarget, number | null>();
      for (const target of TARGETS) {
        const request = byTarget[target];
        bytes.set(target, 'grpc' in request ? null : await responseBytes(request));
      }
      for (const connections of ctx.sizes.serving.connections) {
        for (const target of TARGETS) {
          const row: LoadResult = { target, instances, connections, ...(await measure(grpc, byTarget[target], connections, ctx.sizes.serving)), response_bytes: bytes.get(target) ?? null };
          results.push(row);
          log(`serving ${target}, ${instances} instance(s), ${connections} connection(s): ${row.requests_per_s.toFixed(0)} req/s, p99 ${row.p99_ms} ms`);
          if (row.errors || row.non_2xx) notes.push(`${target} ${instances}×${connections}: ${row.errors} errors, ${row.non_2xx} non-2xx responses`);
        }
      }
    }
    newVersion = await measureNewVersions(
      { client: ctx.client, grpc, tfservingUrl: endpoints.tfservingUrl, model: SERVING_MODEL, flower: irisInstances(1)[0] ?? [] },
      ctx.sizes.serving.newVersions,
    );
  } finally {
    grpc.close();
    await bare.stop();
  }
  const predictUrl = `${ctx.client.url}/v1/models/${SERVING_MODEL}/predict`;
  const duringTraining = await runBusyServing(ctx.client, ctx.sizes, predictUrl, JSON.stringify({ instances: irisInstances(1) }));
  notes.push(
    'autocannon runs in the bench process on the same cores as the server it loads; each measurement follows a warm-up; its latencies are whole milliseconds',
    'gRPC: as many concurrent calls as the row has connections, each sent when the last is answered, on one channel (HTTP/2 streams), from the bench process; latencies rounded to whole milliseconds as autocannon rounds',
  );
  return { model: SERVING_MODEL, results, new_version: newVersion, during_training: duringTraining, notes };
}
