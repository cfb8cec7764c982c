/**
 * `npm run openapi`: writes openapi.json, the document the API serves at
 * /openapi.json (`npm run sdk` then generates the SDK from it), and
 * openapi-tfserving.json, the one TensorFlow Serving's REST API serves at
 * /openapi.json on TFSERVING_PORT. Needs no Redis: the apps are built on a
 * Redis client that is closed before anything could use it, and only describe
 * themselves.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { OpenAPIV3_1 } from 'openapi-types';
import { buildApp } from '../src/api/app.js';
import { buildTfServingApp } from '../src/api/tfserving-app.js';
import { loadConfig } from '../src/config.js';
import { createTrainingQueue } from '../src/queue/training-queue.js';
import { FileArtifactStore } from '../src/registry/file-artifact-store.js';
import { createRedisStores } from '../src/registry/stores.js';
import { selectBackend } from '../src/tf/backend.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const OPENAPI_PATH = join(ROOT, 'openapi.json');
export const TFSERVING_OPENAPI_PATH = join(ROOT, 'openapi-tfserving.json');

/**
 * The app, on real parts that never reach Redis: the client is closed before
 * it is handed over, so any command fails at once instead of connecting; the
 * queue skips its wait for a ready connection and finds it closed.
 */
export async function withOfflineApp<T>(use: (app: FastifyInstance, redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ lazyConnect: true, maxRetriesPerRequest: null });
  redis.disconnect();
  const dataDir = mkdtempSync(join(tmpdir(), 'modelyard-openapi-'));
  // Defaults only: the document must not depend on the environment it is written in. No TF Serving
  // listener: writing the documents must not take a port; withTfServingApp builds that app without one.
  const config = loadConfig({ TFSERVING_PORT: '0' });
  const queue = createTrainingQueue(redis, config.KEY_PREFIX, { skipWaitingForReady: true });
  const stores = createRedisStores({ redis, prefix: config.KEY_PREFIX });
  const backend = await selectBackend('cpu');
  const app = await buildApp({ config, redis, stores, artifacts: new FileArtifactStore(dataDir), queue, backend, logger: false });
  try {
    await app.ready();
    return await use(app, redis);
  } finally {
    await app.close();
    await queue.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** TensorFlow Serving's app on `main`'s services, as TFSERVING_PORT would serve it, but listening nowhere. */
export async function withTfServingApp<T>(main: FastifyInstance, use: (app: FastifyInstance) => Promise<T>): Promise<T> {
  const app = await buildTfServingApp(main);
  try {
    await app.ready();
    return await use(app);
  } finally {
    await app.close();
  }
}

export async function openApiDocument(): Promise<OpenAPIV3_1.Document> {
  return withOfflineApp(async (app) => app.swagger() as OpenAPIV3_1.Document);
}

export async function tfServingOpenApiDocument(): Promise<OpenAPIV3_1.Document> {
  return withOfflineApp(async (main) => withTfServingApp(main, async (app) => app.swagger() as OpenAPIV3_1.Document));
}

/** 2-space JSON with a trailing newline; key order is the generator's, which depends only on the code. */
export function serializeDocument(document: OpenAPIV3_1.Document): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

export async function writeOpenApi(): Promise<void> {
  await withOfflineApp(async (main) => {
    writeFileSync(OPENAPI_PATH, serializeDocument(main.swagger() as OpenAPIV3_1.Document));
    await withTfServingApp(main, async (app) => writeFileSync(TFSERVING_OPENAPI_PATH, serializeDocument(app.swagger() as OpenAPIV3_1.Document)));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await writeOpenApi();
  console.log(`wrote ${OPENAPI_PATH} and ${TFSERVING_OPENAPI_PATH}`);
}
