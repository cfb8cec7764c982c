import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPI3 } from 'openapi-typescript';
import type { OpenAPI } from 'openapi-types';
import { IRIS_EXAMPLE } from '../../src/api/schemas/models.js';
import { LAYER_TYPES } from '../../src/models/index.js';
import { OPENAPI_PATH, SDK_TYPES_PATH, openApiDocument, sdkTypes, serializeDocument, withOfflineApp } from '../../scripts/write-openapi.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;

/** Where two texts first differ, so a stale file's message points at the change instead of printing both. */
function firstDifference(actual: string, expected: string): string {
  const a = actual.split('\n');
  const b = expected.split('\n');
  const line = a.findIndex((text, i) => text !== b[i]);
  const at = line === -1 ? a.length : line;
  return `line ${at + 1}: committed ${JSON.stringify(a[at])}, generated ${JSON.stringify(b[at])}`;
}

/** `METHOD /path` of every route `printRoutes` lists, paths in OpenAPI's `{param}` form. */
function routesOf(tree: string): string[] {
  const segments: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[├└]── (\S+) \(([^)]+)\)$/.exec(line.replace(/\u00a0/g, ' '));
    if (!match) continue;
    const [, indent = '', segment = '', methods = ''] = match;
    const depth = indent.length / 4;
    segments.length = depth;
    segments.push(segment);
    const path = segments.join('').replace(/:(\w+)/g, '{$1}');
    for (const method of methods.split(', ')) routes.push(`${method} ${path}`);
  }
  return routes;
}

function operationsOf(document: OpenAPI3): Map<string, Record<string, unknown>> {
  const operations = new Map<string, Record<string, unknown>>();
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = (item as Record<string, unknown>)[method];
      if (operation) operations.set(`${method.toUpperCase()} ${path}`, operation as Record<string, unknown>);
    }
  }
  return operations;
}

let document: OpenAPI3;
let routeTree: string;
let served: { status: number; body: string };
let docsPage: { status: number; type: string };
let redisStatus: string;

before(async () => {
  document = await openApiDocument();
  await withOfflineApp(async (app, redis) => {
    routeTree = app.printRoutes({ commonPrefix: false });
    const openapi = await app.inject({ method: 'GET', url: '/openapi.json' });
    served = { status: openapi.statusCode, body: openapi.body };
    const docs = await app.inject({ method: 'GET', url: '/docs/' });
    docsPage = { status: docs.statusCode, type: String(docs.headers['content-type']) };
    redisStatus = redis.status;
  });
});

describe('openapi.json', () => {
  it('is what the code generates now', () => {
    const committed = readFileSync(OPENAPI_PATH, 'utf8');
    const generated = serializeDocument(document);
    assert.ok(committed === generated, `openapi.json is stale: run npm run openapi (${firstDifference(committed, generated)})`);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    assert.equal(document.openapi, '3.1.0');
    // The text as committed; validate() dereferences its argument in place, so it gets its own copy.
    const parsed: OpenAPI.Document = JSON.parse(serializeDocument(document));
    await SwaggerParser.validate(parsed);
  });

  it('documents every route the app serves, and no other', () => {
    // Swagger UI's own pages, the dashboard (/ and its files) and the Prometheus scrape target hide themselves on purpose.
    const hidden = (route: string) => /^\w+ \/docs\b/.test(route) || route.endsWith(' /metrics') || /^GET \/(dashboard\/.*)?$/.test(route);
    const served = routesOf(routeTree).filter((route) => !route.startsWith('HEAD ') && !hidden(route));
    assert.ok(served.includes('POST /v1/models/{model}/predict'), `the route tree did not parse: ${routeTree}`);
    assert.deepEqual([...operationsOf(document).keys()].sort(), [...new Set(served)].sort());
  });

  it('gives every operation a success response and every /v1 operation the error shape for its errors', () => {
    for (const [name, operation] of operationsOf(document)) {
      const responses = operation.responses as Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
      assert.ok(Object.keys(responses).some((status) => status.startsWith('2')), `${name} has no success response`);
      if (!name.includes(' /v1/')) continue;
      for (const status of ['401', '403', '429', '503']) {
        assert.equal(responses[status]?.content?.['application/json']?.schema?.$ref, '#/components/schemas/Error', `${name} ${status}`);
      }
    }
  });

  it('stays small by naming shared schemas once', () => {
    const bytes = Buffer.byteLength(serializeDocument(document));
    assert.ok(bytes < 512 * 1024, `openapi.json is ${bytes} bytes`);
    const schemas = document.components?.schemas ?? {};
    for (const type of LAYER_TYPES) assert.ok(schemas[`${type.replace(/Layer$/, '')}Layer`], `no component for ${type}`);
    for (const name of ['Initializer', 'Regularizer', 'Activation', 'ModelDefinition', 'Error']) assert.ok(schemas[name], name);
    for (const name of Object.keys(schemas).filter((id) => id.endsWith('Input'))) {
      // Only a schema that reads differently from how it is written keeps two names.
      const written = schemas[name.slice(0, -'Input'.length)];
      assert.ok(written, `${name} has no written form`);
      assert.notDeepEqual(schemas[name], written, `${name} is the same schema as its written form`);
    }
  });

  it('has the seed Iris model as the example body of POST /v1/models', () => {
    const body = operationsOf(document).get('POST /v1/models')?.requestBody as { content: Record<string, { example?: unknown }> };
    assert.deepEqual(body.content['application/json']?.example, IRIS_EXAMPLE);
  });

  it('documents each form a dataset upload takes, without a schema Fastify would validate', () => {
    const body = operationsOf(document).get('POST /v1/datasets')?.requestBody as { content: Record<string, { schema: unknown }> };
    assert.deepEqual(Object.keys(body.content).sort(), ['application/json', 'application/octet-stream', 'application/zip', 'multipart/form-data', 'text/csv']);
    assert.deepEqual(body.content['application/json']?.schema, { $ref: '#/components/schemas/DatasetUpload' });
  });

  it('is served at /openapi.json, with Swagger UI at /docs, by an app that never touched Redis', () => {
    assert.equal(served.status, 200);
    assert.deepEqual(JSON.parse(served.body), JSON.parse(serializeDocument(document)));
    assert.equal(docsPage.status, 200);
    assert.match(docsPage.type, /text\/html/);
    assert.equal(redisStatus, 'end');
  });
});

describe('the SDK', () => {
  it('has the types openapi-typescript generates from openapi.json now', async () => {
    const committedDocument = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')) as OpenAPI3;
    const committed = readFileSync(SDK_TYPES_PATH, 'utf8');
    const generated = await sdkTypes(committedDocument);
    assert.ok(committed === generated, `sdk/generated/schema.ts is stale: run npm run openapi (${firstDifference(committed, generated)})`);
  });
});
