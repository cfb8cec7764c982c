import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { before, describe, it } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPI, OpenAPIV3_1 } from 'openapi-types';
import { IRIS_EXAMPLE } from '../../src/api/schemas/models.js';
import { ERROR_CODES } from '../../src/errors.js';
import { LAYER_TYPES } from '../../src/models/index.js';
import { OPENAPI_PATH, TFSERVING_OPENAPI_PATH, openApiDocument, serializeDocument, withOfflineApp, withTfServingApp } from '../../scripts/write-openapi.js';
import { SDK_DIR, generateSdk } from '../../scripts/write-sdk.js';

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

function operationsOf(document: OpenAPIV3_1.Document): Map<string, Record<string, unknown>> {
  const operations = new Map<string, Record<string, unknown>>();
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = (item as Record<string, unknown>)[method];
      if (operation) operations.set(`${method.toUpperCase()} ${path}`, operation as Record<string, unknown>);
    }
  }
  return operations;
}

let document: OpenAPIV3_1.Document;
let routeTree: string;
let served: { status: number; body: string };
let docsPage: { status: number; type: string };
let redisStatus: string;
/** TF Serving's operations, and the routes that serve them as the router holds them: the predict verb is read off the last parameter. */
const TFSERVING_OPERATIONS: Record<string, string> = {
  'GET /openapi.json': 'GET /openapi.json',
  'GET /v1/models/{name}': 'GET /v1/models/:name',
  'GET /v1/models/{name}/metadata': 'GET /v1/models/:name/metadata',
  'GET /v1/models/{name}/versions/{version}': 'GET /v1/models/:name/versions/:version',
  'GET /v1/models/{name}/versions/{version}/metadata': 'GET /v1/models/:name/versions/:version/metadata',
  'POST /v1/models/{name}/versions/{version}:predict': 'POST /v1/models/:name/versions/:target',
  'POST /v1/models/{name}:predict': 'POST /v1/models/:target',
};
let tfs: { document: OpenAPIV3_1.Document; unrouted: string[]; served: { status: number; body: string }; elsewhere: { status: number; body: string } };

before(async () => {
  document = await openApiDocument();
  await withOfflineApp(async (app, redis) => {
    routeTree = app.printRoutes({ commonPrefix: false });
    const openapi = await app.inject({ method: 'GET', url: '/openapi.json' });
    served = { status: openapi.statusCode, body: openapi.body };
    const docs = await app.inject({ method: 'GET', url: '/docs/' });
    docsPage = { status: docs.statusCode, type: String(docs.headers['content-type']) };
    tfs = await withTfServingApp(app, async (tfsApp) => {
      const openapi = await tfsApp.inject({ method: 'GET', url: '/openapi.json' });
      const elsewhere = await tfsApp.inject({ method: 'GET', url: '/openapi.yaml' });
      return {
        document: tfsApp.swagger() as OpenAPIV3_1.Document,
        unrouted: Object.values(TFSERVING_OPERATIONS).filter((route) => {
          const [method = '', url = ''] = route.split(' ');
          return !tfsApp.hasRoute({ method, url });
        }),
        served: { status: openapi.statusCode, body: openapi.body },
        elsewhere: { status: elsewhere.statusCode, body: elsewhere.body },
      };
    });
    redisStatus = redis.status;
  });
});

describe('openapi.json', () => {
  it('is what the code generates now', () => {
    const committed = readFileSync(OPENAPI_PATH, 'utf8');
    const generated = serializeDocument(document);
    assert.ok(committed === generated, `openapi.json is stale: run npm run sdk (${firstDifference(committed, generated)})`);
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
    // Inlining the layer catalogue's shared schemas would multiply this several times; /v2 took it past 512 KiB.
    assert.ok(bytes < 640 * 1024, `openapi.json is ${bytes} bytes`);
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

  it('gives each upload form its own operation, with one request media type each', () => {
    const operations = operationsOf(document);
    const uploads = Object.fromEntries(
      [...operations]
        .filter(([name]) => name.startsWith('POST /v1/datasets'))
        .map(([name, operation]) => [name, Object.keys((operation.requestBody as { content: Record<string, unknown> }).content)]),
    );
    assert.deepEqual(uploads, {
      'POST /v1/datasets': ['application/json'],
      'POST /v1/datasets/csv': ['text/csv'],
      'POST /v1/datasets/npz': ['application/zip'],
      'POST /v1/datasets/npy': ['multipart/form-data'],
    });
    for (const [name, operation] of operations) {
      const body = operation.requestBody as { content: Record<string, unknown> } | undefined;
      if (body) assert.equal(Object.keys(body.content).length, 1, `${name} has several request media types`);
    }
  });

  it("names, tags and summarizes every operation, with the error shape (the protocol's under /v2) as its default response", () => {
    const ids = new Set<string>();
    for (const [name, operation] of operationsOf(document)) {
      const id = operation.operationId;
      assert.ok(typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id), `${name} has no camelCase operationId`);
      assert.ok(!ids.has(id), `${name} repeats the operationId ${id}`);
      ids.add(id);
      assert.ok(Array.isArray(operation.tags) && operation.tags.length === 1, `${name} has no tag`);
      assert.ok(typeof operation.summary === 'string' && operation.summary.length > 0, `${name} has no summary`);
      const responses = operation.responses as Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
      const error = name.includes(' /v2') ? 'V2Error' : 'Error';
      assert.equal(responses.default?.content?.['application/json']?.schema?.$ref, `#/components/schemas/${error}`, `${name} default`);
    }
    assert.ok(ids.has('createModel') && ids.has('predict') && ids.has('listJobs'));
    assert.ok((document.servers ?? []).length > 0, 'no servers');
  });

  it('lists the codes the service emits as the enum of error.code', () => {
    const error = document.components?.schemas?.Error as { properties: { error: { properties: { code: { enum?: string[] } } } } };
    assert.deepEqual(error.properties.error.properties.code.enum, [...ERROR_CODES]);
  });

  it('types every array and every object, but for the few that are free-form by nature', () => {
    // Keras's own JSON (a layer's config, a model's to_json()), tfjs's model.json, the backend's facts and this document take any keys;
    // an Open Inference Protocol tensor's data is typed by its datatype, not by JSON Schema.
    const FREE_FORM = ['V2InferRequest.properties.inputs.items.properties.data', 'V2InferResponse.properties.outputs.items.properties.data', 'Layers.properties.layers.items.properties.config', 'KerasArchitecture.properties.config', 'Backend', 'GET /openapi.json.', '/artifact.responses.200.'];
    const untyped: string[] = [];
    const visit = (value: unknown, at: string): void => {
      if (Array.isArray(value)) return value.forEach((item, i) => visit(item, `${at}[${i}]`));
      if (typeof value !== 'object' || value === null) return;
      const schema = value as Record<string, unknown>;
      const emptyItems = schema.type === 'array' && (schema.items === undefined || (typeof schema.items === 'object' && Object.keys(schema.items ?? {}).length === 0));
      const anyValues = typeof schema.additionalProperties === 'object' && Object.keys(schema.additionalProperties ?? {}).length === 0;
      if ((emptyItems || anyValues) && !FREE_FORM.some((allowed) => at.includes(allowed))) untyped.push(at);
      for (const [key, child] of Object.entries(schema)) if (key !== 'examples' && key !== 'example') visit(child, `${at}.${key}`);
    };
    for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) visit(schema, name);
    for (const [name, operation] of operationsOf(document)) visit(operation, `${name}`);
    assert.deepEqual(untyped, []);
  });

  it('describes the events of the job stream', () => {
    const responses = operationsOf(document).get('GET /v1/jobs/{job}/events')?.responses as Record<string, { content: Record<string, { schema: unknown }> }>;
    assert.deepEqual(responses['200']?.content, { 'text/event-stream': { schema: { $ref: '#/components/schemas/JobEvent' } } });
    const events = document.components?.schemas?.JobEvent as { anyOf?: unknown[] };
    assert.deepEqual(events.anyOf, [{ $ref: '#/components/schemas/JobEpochEvent' }, { $ref: '#/components/schemas/JobStatusEvent' }]);
  });

  it('is served at /openapi.json, with Swagger UI at /docs, by an app that never touched Redis', () => {
    assert.equal(served.status, 200);
    assert.deepEqual(JSON.parse(served.body), JSON.parse(serializeDocument(document)));
    assert.equal(docsPage.status, 200);
    assert.match(docsPage.type, /text\/html/);
    assert.equal(redisStatus, 'end');
  });
});

describe('openapi-tfserving.json', () => {
  it('is what the code generates now', () => {
    const committed = readFileSync(TFSERVING_OPENAPI_PATH, 'utf8');
    const generated = serializeDocument(tfs.document);
    assert.ok(committed === generated, `openapi-tfserving.json is stale: run npm run openapi (${firstDifference(committed, generated)})`);
  });

  it('is a valid OpenAPI 3.1 document, for the TF Serving port', async () => {
    assert.equal(tfs.document.openapi, '3.1.0');
    assert.deepEqual(tfs.document.servers?.map((server) => server.url), ['http://localhost:8501']);
    const parsed: OpenAPI.Document = JSON.parse(serializeDocument(tfs.document));
    await SwaggerParser.validate(parsed);
  });

  it('lists exactly the TF Serving operations and this document, the predict paths spelled with :predict', () => {
    const operations = operationsOf(tfs.document);
    assert.deepEqual([...operations.keys()].sort(), Object.keys(TFSERVING_OPERATIONS).sort());
    assert.deepEqual(tfs.unrouted, [], 'operations the TF Serving app has no route for');
    for (const [name, parameters] of [
      ['POST /v1/models/{name}:predict', ['name']],
      ['POST /v1/models/{name}/versions/{version}:predict', ['name', 'version']],
    ] as const) {
      const path = (operations.get(name)?.parameters as { in: string; name: string }[]).filter((parameter) => parameter.in === 'path');
      assert.deepEqual(path.map((parameter) => parameter.name), parameters, name);
    }
  });

  it("names, tags and summarizes every operation, with the least role and TF Serving's error body for every error", () => {
    const ids = new Set<string>();
    for (const [name, operation] of operationsOf(tfs.document)) {
      const id = operation.operationId;
      assert.ok(typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id), `${name} has no camelCase operationId`);
      assert.ok(!ids.has(id), `${name} repeats the operationId ${id}`);
      ids.add(id);
      assert.ok(Array.isArray(operation.tags) && operation.tags.length === 1, `${name} has no tag`);
      assert.ok(typeof operation.summary === 'string' && operation.summary.length > 0, `${name} has no summary`);
      assert.deepEqual(operation.security, name === 'GET /openapi.json' ? [] : [{ apiKey: ['predict'] }], name);
      const responses = operation.responses as Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
      const errors = Object.keys(responses).filter((status) => !status.startsWith('2'));
      assert.ok(errors.includes('default'), `${name} has no default response`);
      if (name !== 'GET /openapi.json') for (const status of ['400', '401', '403', '404', '429', '503']) assert.ok(errors.includes(status), `${name} ${status}`);
      for (const status of errors) assert.equal(responses[status]?.content?.['application/json']?.schema?.$ref, '#/components/schemas/TfServingError', `${name} ${status}`);
    }
    assert.equal(tfs.document.components?.schemas?.Error, undefined, "the main API's error shape is not this port's");
  });

  it('is served at /openapi.json on the TF Serving app, and every other path still answers its error body', () => {
    assert.equal(tfs.served.status, 200);
    assert.deepEqual(JSON.parse(tfs.served.body), JSON.parse(serializeDocument(tfs.document)));
    assert.equal(tfs.elsewhere.status, 404);
    assert.deepEqual(JSON.parse(tfs.elsewhere.body), { error: 'Malformed request: GET /openapi.yaml' });
  });
});

/** Every file under `dir`, by its path relative to `dir`. */
function filesUnder(dir: string): Map<string, string> {
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  return new Map(entries.map((entry) => [relative(dir, join(entry.parentPath, entry.name)), readFileSync(join(entry.parentPath, entry.name), 'utf8')]));
}

describe('the SDK', () => {
  it('is what @hey-api/openapi-ts generates from openapi.json now', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelyard-sdk-'));
    try {
      await generateSdk(OPENAPI_PATH, dir);
      const generated = filesUnder(dir);
      const committed = filesUnder(SDK_DIR);
      assert.deepEqual([...committed.keys()].sort(), [...generated.keys()].sort(), 'sdk/generated has other files than the generator writes: run npm run sdk');
      for (const [file, text] of generated) {
        const current = committed.get(file) ?? '';
        assert.ok(current === text, `sdk/generated/${file} is stale: run npm run sdk (${firstDifference(current, text)})`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
