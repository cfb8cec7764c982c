import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { jsonSchemaTransformObject, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DOCUMENTED_AS } from '../documented.js';
import { accessOf } from './access.js';

/**
 * What the API's two OpenAPI documents share: the main one at /openapi.json
 * (plugins/openapi.ts) and TensorFlow Serving's on TFSERVING_PORT
 * (plugins/tfserving-openapi.ts), each with its own error body.
 */

export function packageVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return z.object({ version: z.string() }).parse(manifest).version;
}

/** The bearer key scheme both documents name in every keyed operation's security. */
export const API_KEY_SCHEME = {
  apiKey: { type: 'http', scheme: 'bearer', description: 'one of the keys in API_KEYS, required only when the server sets API_KEYS; an operation lists the least role its key needs' },
} as const;

// ---------------------------------------------------------------- per route

/**
 * A route's schema with what every route of a document shares, all in the
 * document's `error` body: the API key with its least role and the errors of
 * auth, rate limit and Redis, the errors Fastify gives before the handler,
 * and `default` for every other status. Zod schemas still, for
 * fastify-type-provider-zod's transform to convert.
 */
export function sharedResponses(error: z.ZodType): (input: Parameters<SwaggerTransform>[0]) => FastifySchema {
  const keyedErrors = (body: z.ZodType): Record<number, z.ZodType> => ({
    401: body.describe('no API key (only when the server sets API_KEYS)'),
    403: body.describe('the API key is not valid, or its role does not reach this operation'),
    429: body.describe('rate limited: retry later'),
    503: body.describe('the registry (Redis) is unreachable: retry later'),
  });
  const otherErrors = error.describe('any other error, in the same shape');
  return (input) => {
    const schema: FastifySchema = { ...input.schema };
    const response = { ...(schema.response as Record<string, unknown> | undefined) };
    // A route with an error body of its own (the Open Inference Protocol's under /v2) answers the key's and the limit's errors in it too.
    const ownError = response.default instanceof z.ZodType ? response.default : error;
    // Fastify answers 400 to input its schema rejects, and 413 to a body past BODY_LIMIT.
    if (schema.params || schema.querystring || schema.body) response[400] ??= error;
    if (schema.body) response[413] ??= error;
    const access = accessOf(input.route.config);
    if (access === 'public') {
      schema.security = [];
    } else {
      // OpenAPI 3.1 lets a non-OAuth requirement list role names: the least role whose key may call the operation.
      schema.security = [{ apiKey: [access] }];
      for (const [status, body] of Object.entries(keyedErrors(ownError))) response[status] ??= body;
    }
    if (input.url.includes('/:')) response[404] ??= error;
    // Generators type an error they were not told of as unknown; `default` gives every other status the error shape.
    response.default ??= otherErrors;
    schema.response = response;
    return schema;
  };
}

// ---------------------------------------------------------------- whole document

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const REF_PREFIX = '#/components/schemas/';

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy of `value` with every component reference renamed by `rename`. */
function renameRefs(value: Json, rename: (id: string) => string): Json {
  if (Array.isArray(value)) return value.map((item) => renameRefs(item, rename));
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) =>
      key === '$ref' && typeof child === 'string' && child.startsWith(REF_PREFIX)
        ? [key, REF_PREFIX + rename(child.slice(REF_PREFIX.length))]
        : [key, renameRefs(child, rename)],
    ),
  );
}

function refsIn(value: Json, found: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) value.forEach((item) => refsIn(item, found));
  else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string' && child.startsWith(REF_PREFIX)) found.add(child.slice(REF_PREFIX.length));
      else refsIn(child, found);
    }
  }
  return found;
}

/** JSON with sorted keys, to compare schemas whatever order their keys came in. */
function canonical(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (!isObject(value)) return JSON.stringify(value);
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key] as Json)}`).join(',')}}`;
}

/**
 * The library writes every component twice, as read (`XInput`) and as
 * written (`X`). Where the two are the same schema, one name is enough;
 * components no operation reaches are dropped; and a schema only ever read
 * keeps its plain name.
 */
function tidyComponents(document: JsonObject): JsonObject {
  const schemas = isObject(document.components) && isObject(document.components.schemas) ? { ...document.components.schemas } : {};
  const alias = new Map<string, string>();
  const resolve = (id: string): string => alias.get(id) ?? id;
  for (let changed = true; changed; ) {
    changed = false;
    for (const id of Object.keys(schemas)) {
      const plain = id.replace(/Input$/, '');
      if (plain === id || alias.has(id) || schemas[plain] === undefined) continue;
      const read = schemas[id] as Json;
      const written = schemas[plain] as Json;
      if (canonical(renameRefs(read, resolve)) === canonical(renameRefs(written, resolve))) {
        alias.set(id, plain);
        changed = true;
      }
    }
  }
  for (const id of alias.keys()) delete schemas[id];
  for (const [id, schema] of Object.entries(schemas)) schemas[id] = renameRefs(schema, resolve);
  const { components, ...operations } = renameRefs(document, resolve) as JsonObject;

  const reached = new Set<string>();
  const pending = [...refsIn(operations)];
  for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
    if (reached.has(id)) continue;
    reached.add(id);
    pending.push(...refsIn(schemas[id] as Json));
  }
  const finalName = (id: string): string => {
    const plain = id.replace(/Input$/, '');
    return plain !== id && !reached.has(plain) ? plain : id;
  };
  const kept = [...reached].sort((a, b) => finalName(a).localeCompare(finalName(b)));
  return {
    ...(renameRefs(operations, finalName) as JsonObject),
    components: {
      ...(isObject(components) ? components : {}),
      schemas: Object.fromEntries(kept.map((id) => [finalName(id), renameRefs(schemas[id] as Json, finalName)])),
    },
  };
}

/** Response descriptions the library left generic, and request examples kept with their component. */
function describeOperations(document: JsonObject): void {
  const schemas = isObject(document.components) && isObject(document.components.schemas) ? document.components.schemas : {};
  const paths = isObject(document.paths) ? document.paths : {};
  for (const item of Object.values(paths)) {
    if (!isObject(item)) continue;
    for (const operation of Object.values(item)) {
      if (!isObject(operation)) continue;
      if (isObject(operation.responses)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (isObject(response) && response.description === 'Default Response') response.description = STATUS_CODES[status] ?? status;
        }
      }
      const body = isObject(operation.requestBody) ? operation.requestBody.content : undefined;
      for (const media of isObject(body) ? Object.values(body) : []) {
        if (!isObject(media) || !isObject(media.schema) || typeof media.schema.$ref !== 'string') continue;
        const target = schemas[media.schema.$ref.slice(REF_PREFIX.length)];
        const examples = isObject(target) ? target.examples : undefined;
        if (Array.isArray(examples) && examples.length > 0 && media.example === undefined) media.example = examples[0] as Json;
      }
    }
  }
}

/** Every schema marked with documentedAs, as a reference to the component that documents it. */
function referDocumented(value: Json): Json {
  if (Array.isArray(value)) return value.map(referDocumented);
  if (!isObject(value)) return value;
  const component = value[DOCUMENTED_AS];
  if (typeof component === 'string') {
    const kept = Object.entries(value).filter(([key]) => key === 'description' || key === 'minItems');
    return { $ref: REF_PREFIX + component, ...Object.fromEntries(kept) };
  }
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, referDocumented(child)]));
}

/** fastify-type-provider-zod's components, then the tidying above: the `transformObject` of both documents. */
export const documentTransform: SwaggerTransformObject = (input) => {
  const withComponents = jsonSchemaTransformObject(input);
  const document = tidyComponents(referDocumented(JSON.parse(JSON.stringify(withComponents)) as Json) as JsonObject);
  describeOperations(document);
  return document;
};

/** The app's document at `GET /openapi.json`, open without a key, listed in the document as its own operation. */
export function serveDocument(app: FastifyInstance): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/openapi.json',
    {
      config: { access: 'public' },
      schema: {
        tags: ['operations'],
        operationId: 'getOpenApiDocument',
        summary: 'This OpenAPI 3.1 document',
        response: { 200: z.record(z.string(), z.unknown()) },
      },
    },
    async () => app.swagger() as Record<string, unknown>,
  );
}
