// The smoke test of a running modelyard deployment made of the image: an api container and two
// worker containers on one Redis and one data volume. scripts/image-test.sh runs it twice, against
// containers it starts itself and against those docker-compose.yml starts, and tears both down.
// It talks HTTP to the API only on the host's loopback, and reaches everything else through the
// engine (`podman healthcheck run`, `podman exec`, `podman stop`, `podman restart`).
//
// Environment:
//   SMOKE_API                 the API's base URL on the host, e.g. http://127.0.0.1:18080
//   SMOKE_API_CONTAINER       the api container's name
//   SMOKE_WORKER_CONTAINERS   the two worker containers' names, comma-separated
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { z } from 'zod';
import { createClient, createJob, createModel, getJob, getReadiness, inspect, listLayers, predict as predictIris, type CreateModel, type GetReadinessResponse, type Job, type Prediction } from '../sdk/index.js';

const run = promisify(execFile);

const env = z
  .object({
    SMOKE_API: z.string().url(),
    SMOKE_API_CONTAINER: z.string().min(1),
    SMOKE_WORKER_CONTAINERS: z
      .string()
      .transform((names) => names.split(',').filter(Boolean))
      .pipe(z.tuple([z.string(), z.string()])),
  })
  .parse(process.env);

const api = env.SMOKE_API.replace(/\/$/, '');
const client = createClient({ baseUrl: api });
const [firstWorker, secondWorker] = env.SMOKE_WORKER_CONTAINERS;

// The README's Iris model, without an input shape: the data gives it at training time.
const IRIS = {
  name: 'iris',
  architecture: {
    type: 'sequential',
    layers: [
      { type: 'Dense', units: 8 },
      { type: 'Activation', activation: 'relu' },
      { type: 'Dense', units: 3 },
      { type: 'Activation', activation: 'softmax' },
    ],
  },
  compile: { loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
} satisfies CreateModel;
// Three containers loading TensorFlow at once on a busy 2-core machine took over a minute.
const STARTUP_S = 300;

const FLOWERS = [
  [5.3, 3.4, 1.9, 0.6],
  [6.0, 3.0, 4.7, 1.5],
  [6.5, 3.1, 5.0, 1.7],
];

function log(message: string): void {
  console.log(`[image-smoke ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

async function podman(...args: string[]): Promise<string> {
  const { stdout } = await run('podman', args, { timeout: 180_000, maxBuffer: 16 << 20 });
  return stdout;
}

/** Calls `attempt` until it returns a value, or fails with its last error after `seconds`. */
async function until<T>(what: string, seconds: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown;
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const reason = last instanceof Error ? last.message : String(last ?? 'no answer');
      throw new Error(`${what}: not within ${seconds} s (last: ${reason})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function ok<T>(what: string, result: { data?: T; error?: unknown; response?: Response }): T {
  assert.ok(result.data !== undefined, `${what}: HTTP ${result.response?.status} ${JSON.stringify(result.error)}`);
  return result.data;
}

async function ready(): Promise<GetReadinessResponse> {
  return until('GET /readyz says ready', STARTUP_S, async () => {
    const { data } = await getReadiness({ client, signal: AbortSignal.timeout(5000) });
    return data?.ready ? data : undefined;
  });
}

async function healthy(container: string): Promise<void> {
  // The image's HEALTHCHECK, run by the engine (no systemd here runs it on its own).
  await until(`podman healthcheck run ${container}`, STARTUP_S, async () => ((await podman('healthcheck', 'run', container)), true));
}

/** The Server-Sent Events of a job until the stream closes at its end, as [event, data] pairs. */
async function events(jobId: string, seconds: number): Promise<[string, Record<string, unknown>][]> {
  const response = await fetch(`${api}/v1/jobs/${jobId}/events`, { signal: AbortSignal.timeout(seconds * 1000) });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
  return (await response.text())
    .split('\n\n')
    .map((chunk) => /^event: (\w+)\ndata: (.*)$/m.exec(chunk))
    .filter((match) => match !== null)
    .map((match) => [match[1] as string, z.record(z.string(), z.unknown()).parse(JSON.parse(match[2] as string))]);
}

async function job(jobId: string): Promise<Job> {
  return ok('GET /v1/jobs/{job}', await getJob({ client, path: { job: jobId } }));
}

async function train(epochs: number, batchSize: number, engine?: 'eager'): Promise<string> {
  const fit = { epochs, batch_size: batchSize, validation_split: 0.1, engine };
  const created = ok('POST /v1/jobs', await createJob({ client, body: { model: 'iris', dataset: { builtin: 'iris' }, fit } }));
  assert.equal(created.status, 'queued');
  return created.id;
}

async function predict(): Promise<Prediction> {
  return ok('predict', await predictIris({ client, path: { model: 'iris' }, body: { instances: FLOWERS } }));
}

async function prometheus(text: string, where: string): Promise<void> {
  assert.match(text, /^modelyard_info\{[^}]*backend="tensorflow"[^}]*\} 1$/m, `${where}: modelyard_info names the tensorflow backend`);
}

async function workerMetrics(container: string): Promise<string> {
  // Workers publish no port: their /metrics is asked from inside the container.
  const script = "fetch('http://127.0.0.1:' + process.env.WORKER_METRICS_PORT + '/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))";
  return podman('exec', container, 'node', '-e', script);
}

async function exitCode(container: string): Promise<number> {
  return Number((await podman('inspect', '--format', '{{.State.ExitCode}}', container)).trim());
}

async function main(): Promise<void> {
  const readiness = await ready();
  assert.equal(readiness.backend, 'tensorflow', JSON.stringify(readiness));
  log(`ready: backend ${readiness.backend}, TensorFlow ${readiness.tensorflow_version}`);
  for (const container of [env.SMOKE_API_CONTAINER, firstWorker, secondWorker]) await healthy(container);
  log('healthchecks pass: api and both workers');

  ok('POST /v1/models', await createModel({ client, body: IRIS }));
  const irisJob = await train(300, 32);
  const stream = await events(irisJob, 600);
  assert.equal(stream.filter(([event]) => event === 'epoch').length, 300, 'one epoch event per epoch');
  assert.deepEqual(stream.at(-1)?.[0], 'status');
  assert.equal(stream.at(-1)?.[1].status, 'completed', JSON.stringify(stream.at(-1)));
  const trained = await job(irisJob);
  assert.equal(trained.status, 'completed');
  assert.deepEqual(Object.keys(trained.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
  const accuracy = trained.history.accuracy?.at(-1) ?? 0;
  assert.ok(accuracy >= 0.9, `training accuracy ${accuracy} < 0.9`);
  log(`Iris trained over SSE: 300 epochs, accuracy ${accuracy.toFixed(3)}`);

  const prediction = await predict();
  assert.equal(prediction.predictions.length, 3);
  for (const row of z.array(z.array(z.number()).length(3)).parse(prediction.predictions)) {
    assert.ok(Math.abs(row.reduce((sum, p) => sum + p, 0) - 1) < 1e-4, `softmax rows sum to 1: ${row.join(', ')}`);
  }
  assert.equal(prediction.classes?.length, 3);
  const inspection = ok(
    'inspect',
    await inspect({ client, path: { model: 'iris' }, body: { instances: [FLOWERS[0] as number[]] } }),
  );
  assert.equal(inspection.layers.length, 4);
  const layers = ok('layers', await listLayers({ client, path: { model: 'iris' }, query: { weights: true } }));
  const kernel = layers.layers[0]?.weights?.find((weight) => weight.name.endsWith('kernel'));
  assert.deepEqual(kernel?.shape, [4, 8], JSON.stringify(layers.layers[0]?.weights?.map((w) => [w.name, w.shape])));
  log(`predict (${prediction.classes?.join(', ')}), inspect and layers answer`);

  const apiMetrics = await fetch(`${api}/metrics`, { signal: AbortSignal.timeout(10_000) });
  await prometheus(await apiMetrics.text(), 'api /metrics');
  for (const worker of [firstWorker, secondWorker]) await prometheus(await workerMetrics(worker), `${worker} /metrics`);
  log('/metrics of the api and of both workers answer');

  // SIGTERM hands a running job back. The second worker is stopped while the first takes the job
  // and is stopped in turn, then started again: it is the one that finishes what was handed back.
  // The graph engine trains Iris's 300 epochs in about a second, before a stop could reach the worker;
  // eager, at 34 steps an epoch, takes long enough to be stopped in the middle.
  await podman('stop', '--time', '120', secondWorker);
  const handedBack = await train(300, 4, 'eager');
  const following = events(handedBack, 900);
  await until('the first worker runs the job', 120, async () => ((await job(handedBack)).progress.epoch >= 1 ? true : undefined));
  await podman('stop', '--time', '120', firstWorker);
  assert.equal(await exitCode(firstWorker), 0, `${firstWorker} ended cleanly on SIGTERM, not killed`);
  const left = await job(handedBack);
  assert.equal(left.status, 'queued', `the stopped worker handed the job back at epoch ${left.progress.epoch}`);
  await podman('start', secondWorker);
  const statuses = (await following).filter(([event]) => event === 'status').map(([, data]) => String(data.status));
  const changes = statuses.filter((status, i) => status !== statuses[i - 1]);
  assert.deepEqual(changes.slice(changes[0] === 'queued' ? 1 : 0), ['running', 'queued', 'running', 'completed']);
  assert.equal((await job(handedBack)).status, 'completed');
  await healthy(secondWorker);
  log(`stop: ${firstWorker} handed its job back at epoch ${left.progress.epoch} on SIGTERM, ${secondWorker} finished it`);

  // The registry is in Redis and the weights on the data volume: a restarted api, with an empty
  // model cache, loads the latest version from the volume and predicts the same.
  const before = await predict();
  await podman('restart', '--time', '30', env.SMOKE_API_CONTAINER);
  await ready();
  const after = await predict();
  assert.equal(after.version, before.version);
  assert.deepEqual(after.predictions, before.predictions);
  log(`restart: the api came back with version ${after.version} of iris from the volume`);
}

main().then(
  () => log('smoke test passed'),
  (error: unknown) => {
    console.error(`[image-smoke] FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
