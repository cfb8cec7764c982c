import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../src/local-redis.js';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createQueueConnection, createTrainingQueue } from '../src/queue/training-queue.js';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const KEY_PREFIX = 'bench';

/** A child process whose output is kept (the last part of it) for error messages. */
export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

const OUTPUT_KEPT = 16_384;

export function startChild(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Child {
  const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`${name}: ${command} did not start`);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return {
    name,
    process: child,
    pid: child.pid,
    output: () => output,
    stop: () => stopProcess(child),
  };
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
function stopProcess(child: ChildProcess, graceMs = 15_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function waitFor(what: string, child: Child | undefined, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (child && child.process.exitCode !== null) {
      throw new Error(`${child.name} exited with code ${child.process.exitCode} before ${what}:\n${child.output()}`);
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${child ? `\n${child.output()}` : ''}`);
    await sleep(100);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A redis-server of the bench's own: a free port, no persistence. */
export async function startRedis(): Promise<Child & { url: string }> {
  const port = await freePort();
  const child = startChild('redis-server', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  const url = `redis://127.0.0.1:${port}`;
  await waitFor('redis-server answers', child, async () => {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } finally {
      probe.disconnect();
    }
  });
  return { ...child, url };
}

export interface ServiceEnv {
  redisUrl: string;
  dataDir: string;
}

function serviceEnv(env: ServiceEnv, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    REDIS_URL: env.redisUrl,
    DATA_DIR: env.dataDir,
    KEY_PREFIX: KEY_PREFIX,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '0',
    // Settings the caller's environment may carry that would change what is measured: keys on /v1, a fixed metrics port;
    // and the fixed default ports of TF Serving and gRPC, which two services on one machine cannot both take (the API's service gets free ones).
    API_KEYS: '',
    WORKER_METRICS_PORT: '',
    TFSERVING_PORT: '0',
    GRPC_PORT: '0',
    ...extra,
  };
}

/** Counts the BullMQ workers listening on the bench's queue. */
export async function workerCount(redisUrl: string): Promise<number> {
  const connection = createQueueConnection(redisUrl);
  const queue = createTrainingQueue(connection, KEY_PREFIX);
  try {
    return await queue.getWorkersCount();
  } finally {
    await queue.close();
    await connection.quit().catch(() => undefined);
  }
}

/** `count` different free ports: each probe frees its port again, so the kernel may hand one out twice. */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Where the service answers each protocol: the API, TensorFlow Serving's REST API, the V2 gRPC service. */
export interface ServiceEndpoints {
  url: string;
  tfservingUrl: string;
  grpcAddress: string;
}

/** `modelyard all` in a child process, as `npm start` runs it, on free ports; resolves once the API answers and its worker listens. */
export async function startService(env: ServiceEnv): Promise<Child & ServiceEndpoints> {
  const [port, tfservingPort, grpcPort] = await freePorts(3);
  const ports = { PORT: String(port), TFSERVING_PORT: String(tfservingPort), GRPC_PORT: String(grpcPort), HOST: '127.0.0.1' };
  const child = startChild('modelyard all', process.execPath, ['--import', 'tsx', 'src/main.ts', 'all'], serviceEnv(env, ports));
  const url = `http://127.0.0.1:${port}`;
  await waitFor('the API answers /readyz', child, async () => (await fetch(`${url}/readyz`)).status === 200);
  await waitFor('the worker listens', child, async () => (await workerCount(env.redisUrl)) >= 1);
  return { ...child, url, tfservingUrl: `http://127.0.0.1:${tfservingPort}`, grpcAddress: `127.0.0.1:${grpcPort}` };
}

/** Another `modelyard worker` on the same Redis and DATA_DIR; resolves once BullMQ sees `expectWorkers`. */
export async function startWorker(env: ServiceEnv, expectWorkers: number): Promise<Child> {
  const child = startChild('modelyard worker', process.execPath, ['--import', 'tsx', 'src/main.ts', 'worker'], serviceEnv(env));
  await waitFor(`${expectWorkers} workers listen`, child, async () => (await workerCount(env.redisUrl)) >= expectWorkers);
  return child;
}
