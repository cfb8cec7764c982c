import { readFileSync } from 'node:fs';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import {
  V2InferRequestSchema,
  V2InferResponseSchema,
  V2LiveSchema,
  V2ModelMetadataSchema,
  V2ModelParamsSchema,
  V2ModelReadySchema,
  V2ReadySchema,
  V2ServerMetadataSchema,
  V2VersionParamsSchema,
  v2ErrorResponses,
} from '../schemas/v2.js';
import { v2InferJson, v2ModelMetadata, v2ModelReady } from '../services/serving.js';
import { tenantOf } from '../request-tenant.js';
import { pingWithin } from './health.js';

export const SERVER_NAME = 'modelyard';
export const SERVER_VERSION = z.object({ version: z.string() }).parse(JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'))).version;

/** Redis being away: the one server-side failure a client should retry. */
const REDIS_AWAY = /ECONNREFUSED|Connection is closed|Stream isn't writeable|max retries per request|ENOTFOUND/i;

/** Every error on these routes in the protocol's body, `{"error": "..."}`, with the status /v1 would give; TF Serving's REST API shares the body. */
export function sendError(reply: FastifyReply, error: FastifyError): FastifyReply {
  const send = (status: number, message: string): FastifyReply => reply.code(status).type('application/json').send({ error: message });
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext ?? 'request';
    return send(400, error.validation.map((issue) => `${where}${issue.instancePath}: ${issue.message ?? 'invalid'}`).join('; '));
  }
  if (error instanceof AppError) return send(error.status, error.message);
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return send(error.statusCode, error.message);
  if (REDIS_AWAY.test(error.message)) return send(503, 'the registry (Redis) is unreachable; retry later');
  reply.log.error({ err: error }, 'unhandled error');
  return send(500, 'internal error');
}

/**
 * The Open Inference Protocol (KServe V2), REST, under /v2: health, server
 * and model metadata, readiness, and inference with the protocol's JSON tensors.
 */
export default async function v2Routes(app: FastifyInstance): Promise<void> {
  await app.register(
    async (v2) => {
      v2.setErrorHandler((error: FastifyError, _request, reply) => sendError(reply, error));
      v2.setNotFoundHandler((request, reply) => reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` }));
      const routes = v2.withTypeProvider<ZodTypeProvider>();
      const tags = ['serving'];

      routes.get(
        '',
        { config: { access: 'public' }, schema: { tags, operationId: 'serverMetadata', summary: 'Server metadata (Open Inference Protocol)', response: { 200: V2ServerMetadataSchema, ...v2ErrorResponses() } } },
        async () => ({ name: SERVER_NAME, version: SERVER_VERSION, extensions: [] }),
      );

      routes.get(
        '/health/live',
        { config: { access: 'public' }, schema: { tags, operationId: 'serverLive', summary: 'The server lives (Open Inference Protocol)', response: { 200: V2LiveSchema, ...v2ErrorResponses() } } },
        async () => ({ live: true }),
      );

      routes.get(
        '/health/ready',
        {
          config: { access: 'public' },
          schema: {
            tags,
            operationId: 'serverReady',
            summary: 'Ready for inference: Redis answers and the process is not shutting down (Open Inference Protocol)',
            response: { 200: V2ReadySchema, ...v2ErrorResponses(503) },
          },
        },
        async () => {
          if (app.lifecycle.shuttingDown) throw new AppError(503, 'unavailable', 'the server is shutting down');
          if (!(await pingWithin(app.redis, 1000))) throw new AppError(503, 'unavailable', 'the registry (Redis) is unreachable');
          return { ready: true };
        },
      );

      for (const versioned of [false, true]) {
        const path = versioned ? '/models/:name/versions/:version' : '/models/:name';
        const params = versioned ? V2VersionParamsSchema : V2ModelParamsSchema;
        const which = versioned ? 'a version of a model' : "a model's latest version";
        const suffix = versioned ? 'Version' : '';
        const versionOf = (p: { name: string; version?: unknown }): string | undefined => (typeof p.version === 'string' ? p.version : undefined);

        routes.get(
          path,
          {
            config: { access: 'predict' },
            schema: {
              tags,
              operationId: `modelMetadata${suffix}`,
              summary: `Metadata of ${which}: its input and outputs, with datatype and shape`,
              params,
              response: { 200: V2ModelMetadataSchema, ...v2ErrorResponses(400, 404, 409, 503) },
            },
          },
          async (request) => v2ModelMetadata(app, tenantOf(request), request.params.name, versionOf(request.params)),
        );

        routes.get(
          `${path}/ready`,
          {
            config: { access: 'predict' },
            schema: {
              tags,
              operationId: `modelReady${suffix}`,
              summary: `Whether ${which} is loaded and ready for inference`,
              params,
              response: { 200: V2ModelReadySchema, ...v2ErrorResponses(400, 404, 409, 503) },
            },
          },
          async (request) => v2ModelReady(app, tenantOf(request), request.params.name, versionOf(request.params)),
        );

        routes.post(
          `${path}/infer`,
          {
            config: { access: 'predict' },
            schema: {
              tags,
              operationId: `infer${suffix}`,
              summary: `Inference with ${which}, in the protocol's JSON tensors`,
              params,
              body: V2InferRequestSchema,
              response: { 200: V2InferResponseSchema, ...v2ErrorResponses(400, 404, 409, 413, 503) },
            },
          },
          async (request, reply) => {
            const json = await v2InferJson(app, tenantOf(request), request.params.name, request.body, versionOf(request.params));
            // Already the schema's JSON: Fastify sends a string with a JSON content type as it is, past the serializer.
            return reply.type('application/json').send(json as unknown as z.infer<typeof V2InferResponseSchema>);
          },
        );
      }
    },
    { prefix: '/v2' },
  );
}
