import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { loadBuiltin } from '../src/datasets/builtins.js';
import { runBusyServing } from './busy-serving.js';
import { irisCase } from './cases.js';
import type { ServiceClient } from './client.js';
import { log } from './log.js';
import { startChild, waitFor, type Child } from './processes.js';
import type { LoadResult, ServingResult } from './report-types.js';
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

/** Part 3: predict under load, beside a bare Fastify route answering the same bytes. */
export async function runServing(ctx: ServingContext): Promise<ServingResult> {
  const notes: string[] = [];
  await ensureIrisModel(ctx, notes);
  const predictUrl = `${ctx.client.url}/v1/models/${SERVING_MODEL}/predict`;
  const bodies = new Map<number, string>();
  const responses: Record<string, unknown> = {};
  for (const count of ctx.sizes.serving.instances) {
    bodies.set(count, JSON.stringify({ instances: irisInstances(count) }));
    responses[count] = await ctx.client.expect(200, 'POST', `/v1/models/${SERVING_MODEL}/predict`, bodies.get(count));
  }
  const responsesPath = join(ctx.workDir, 'bare-responses.json');
  writeFileSync(responsesPath, JSON.stringify(responses));
  const bare = await startBareServer(responsesPath);

  const results: LoadResult[] = [];
  try {
    for (const instances of ctx.sizes.serving.instances) {
      const body = bodies.get(instances) as string;
      const responseBytes = JSON.stringify(responses[instances]).length;
      for (const connections of ctx.sizes.serving.connections) {
        for (const target of ['predict', 'bare'] as const) {
          const url = target === 'predict' ? predictUrl : `${bare.url}/predict/${instances}`;
          await load(url, body, connections, { amount: ctx.sizes.serving.warmupRequests });
          const result = await load(url, body, connections, { seconds: ctx.sizes.serving.seconds });
          const row: LoadResult = {
            target,
            instances,
            connections,
            seconds: result.duration,
            requests: result.requests.total,
            requests_per_s: result.requests.total / result.duration,
            p50_ms: result.latency.p50,
            p99_ms: result.latency.p99,
            errors: result.errors,
            non_2xx: result.non2xx,
            response_bytes: responseBytes,
          };
          results.push(row);
          log(`serving ${target}, ${instances} instance(s), ${connections} connection(s): ${row.requests_per_s.toFixed(0)} req/s, p99 ${row.p99_ms} ms`);
          if (row.errors || row.non_2xx) notes.push(`${target} ${instances}×${connections}: ${row.errors} errors, ${row.non_2xx} non-2xx responses`);
        }
      }
    }
  } finally {
    await bare.stop();
  }
  const duringTraining = await runBusyServing(ctx.client, ctx.sizes, predictUrl, bodies.get(1) ?? JSON.stringify({ instances: irisInstances(1) }));
  notes.push(
    'autocannon runs in the bench process on the same cores as the server it loads; each measurement follows a warm-up; its latencies are whole milliseconds',
  );
  return { model: SERVING_MODEL, results, during_training: duringTraining, notes };
}
