/**
 * `npm run openapi`: writes openapi.json (the document the API serves at
 * /openapi.json) and sdk/generated/schema.ts (the SDK's types, generated from
 * it by openapi-typescript). Needs no Redis: the app is built on a Redis client
 * that is closed before anything could use it, and only describes itself.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import openapiTS, { COMMENT_HEADER, astToString, type OpenAPI3, type OpenAPITSOptions } from 'openapi-typescript';
import { buildApp } from '../src/api/app.js';
import { loadConfig } from '../src/config.js';
import { createTrainingQueue } from '../src/queue/training-queue.js';
import { FileArtifactStore } from '../src/registry/file-artifact-store.js';
import { createRedisStores } from '../src/registry/stores.js';
import { selectBackend } from '../src/tf/backend.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const OPENAPI_PATH = join(ROOT, 'openapi.json');
export const SDK_TYPES_PATH = join(ROOT, 'sdk', 'generated', 'schema.ts');

/**
 * openapi-typescript's options for the SDK. Fields with a default are optional
 * in requests: by default the generator makes them required, which suits
 * responses, but here every response field the server always sends is listed
 * as required already.
 */
export const SDK_OPTIONS: OpenAPITSOptions = { defaultNonNullable: false };

/**
 * The app, on real parts that never reach Redis: the client is closed before
 * it is handed over, so any command fails at once instead of connecting; the
 * queue skips its wait for a ready connection and finds it closed.
 */
export async function withOfflineApp<T>(use: (app: FastifyInstance, redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ lazyConnect: true, maxRetriesPerRequest: null });
  redis.disconnect();
  const dataDir = mkdtempSync(join(tmpdir(), 'modelyard-openapi-'));
  // Defaults only: the document must not depend on the environment it is written in.
  const config = loadConfig({});
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

export async function openApiDocument(): Promise<OpenAPI3> {
  return withOfflineApp(async (app) => app.swagger() as OpenAPI3);
}

/** 2-space JSON with a trailing newline; key order is the generator's, which depends only on the code. */
export function serializeDocument(document: OpenAPI3): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** What `openapi-typescript openapi.json -o sdk/generated/schema.ts --default-non-nullable=false` writes. */
export async function sdkTypes(document: OpenAPI3): Promise<string> {
  return `${COMMENT_HEADER}${astToString(await openapiTS(JSON.parse(JSON.stringify(document)) as OpenAPI3, { ...SDK_OPTIONS, silent: true }))}`;
}

async function main(): Promise<void> {
  const document = await openApiDocument();
  writeFileSync(OPENAPI_PATH, serializeDocument(document));
  writeFileSync(SDK_TYPES_PATH, await sdkTypes(document));
  console.log(`wrote ${OPENAPI_PATH} and ${SDK_TYPES_PATH}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
