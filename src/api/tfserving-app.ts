import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { AppError } from '../errors.js';
import authPlugin from './plugins/auth.js';
import limitsPlugin, { clientErrorHandler } from './plugins/limits.js';
import { timeResponses } from './plugins/metrics.js';
import rateLimitPlugin from './plugins/rate-limit.js';
import securityPlugin from './plugins/security.js';
import tfservingOpenApiPlugin from './plugins/tfserving-openapi.js';
import { RequestLogController, requestIdOf } from './plugins/request-log.js';
import { tenantOf } from './request-tenant.js';
import servicesPlugin, { type Services } from './plugins/services.js';
import { sendError } from './routes/v2.js';
import { MAX_NAME_LENGTH } from './schemas/common.js';
import {
  TfsModelMetadataSchema,
  TfsModelParamsSchema,
  TfsModelStatusSchema,
  TfsPredictParamsSchema,
  TfsPredictRequestSchema,
  TfsPredictResponseSchema,
  TfsVersionParamsSchema,
  TfsVersionPredictParamsSchema,
} from './schemas/tfserving.js';
import { malformed, parseVersion, tfsModelMetadata, tfsModelStatus, tfsPredictJson } from './services/tfserving.js';

const PREDICT = ':predict';

/** `{target}` of a predict path, `{name}:predict`: the part before the verb; TF Serving's other verbs are not served here. */
function beforeVerb(target: string, request: FastifyRequest): string {
  const colon = target.lastIndexOf(':');
  const verb = colon > 0 ? target.slice(colon) : '';
  if (verb === PREDICT) return target.slice(0, colon);
  if (verb === ':classify' || verb === ':regress') throw new AppError(400, 'bad_request', `${verb} is not served here; this server answers ${PREDICT}`);
  throw malformed(request.method, request.url);
}

async function tfservingRoutes(app: FastifyInstance): Promise<void> {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const versionOf = (p: { name: string; version?: unknown }, request: FastifyRequest): number | undefined =>
    typeof p.version === 'string' ? parseVersion(p.version, request.method, request.url) : undefined;
  // TF Serving's names hold no colon: `GET …/iris:predict` is a malformed request there, not a model named `iris:predict`.
  const nameOf = (p: { name: string }, request: FastifyRequest): string => {
    if (p.name.includes(':')) throw malformed(request.method, request.url);
    return p.name;
  };

  for (const versioned of [false, true]) {
    const base = versioned ? '/v1/models/:name/versions/:version' : '/v1/models/:name';
    const params = versioned ? TfsVersionParamsSchema : TfsModelParamsSchema;
    const which = versioned ? 'one trained version' : "a model's latest version";
    const prefix = versioned ? 'getVersion' : 'getModel';
    routes.get(
      base,
      {
        config: { access: 'predict' },
        schema: {
          tags: ['status'],
          operationId: `${prefix}Status`,
          summary: versioned ? 'The state of one trained version' : 'The state of every trained version of a model, newest first',
          params,
          response: { 200: TfsModelStatusSchema },
        },
      },
      async (request) => tfsModelStatus(app, tenantOf(request), nameOf(request.params, request), versionOf(request.params, request)),
    );
    routes.get(
      `${base}/metadata`,
      {
        config: { access: 'predict' },
        schema: {
          tags: ['metadata'],
          operationId: `${prefix}Metadata`,
          summary: `The serving_default signature of ${which}: its input and output, with dtype and shape`,
          params,
          response: { 200: TfsModelMetadataSchema },
        },
      },
      async (request) => tfsModelMetadata(app, tenantOf(request), nameOf(request.params, request), versionOf(request.params, request)),
    );
  }

  // The handlers send the prediction's JSON as it is, past the serializer: Fastify sends a string with a JSON content type unchanged.
  const prediction = (json: string): z.infer<typeof TfsPredictResponseSchema> => json as unknown as z.infer<typeof TfsPredictResponseSchema>;
  routes.post(
    '/v1/models/:target',
    {
      config: { access: 'predict' },
      schema: {
        tags: ['predict'],
        operationId: 'predict',
        summary: "Predict with a model's latest version, in the row (instances) or the columnar (inputs) format",
        params: TfsPredictParamsSchema,
        body: TfsPredictRequestSchema,
        response: { 200: TfsPredictResponseSchema },
      },
    },
    async (request, reply) => {
      const json = await tfsPredictJson(app, tenantOf(request), beforeVerb(request.params.target, request), request.body);
      return reply.type('application/json').send(prediction(json));
    },
  );
  routes.post(
    '/v1/models/:name/versions/:target',
    {
      config: { access: 'predict' },
      schema: {
        tags: ['predict'],
        operationId: 'predictVersion',
        summary: 'Predict with one trained version, in the row (instances) or the columnar (inputs) format',
        params: TfsVersionPredictParamsSchema,
        body: TfsPredictRequestSchema,
        response: { 200: TfsPredictResponseSchema },
      },
    },
    async (request, reply) => {
      const version = parseVersion(beforeVerb(request.params.target, request), request.method, request.url);
      const json = await tfsPredictJson(app, tenantOf(request), nameOf(request.params, request), request.body, version);
      return reply.type('application/json').send(prediction(json));
    },
  );
}

/** Fastify's `frameworkErrors` here: a path it cannot route, in TF Serving's body. */
function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void reply.code(error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400).type('application/json').send({ error: `Malformed request: ${request.method} ${request.url.split('?')[0]}` });
}

/**
 * TensorFlow Serving's REST API as a Fastify app of its own, for its own
 * port: the main app's services (stores, model cache and catalog, metrics),
 * its security headers and CORS, API keys and rate limits, and request logs
 * through its logger; and the port's own OpenAPI document at /openapi.json.
 */
export async function buildTfServingApp(main: FastifyInstance): Promise<FastifyInstance> {
  const { config } = main;
  const app = Fastify({
    loggerInstance: main.log,
    bodyLimit: config.BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_NAME_LENGTH + PREDICT.length },
    genReqId: requestIdOf,
    logController: new RequestLogController(() => 'tfserving'),
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    connectionTimeout: config.CONNECTION_TIMEOUT_MS,
    http: { maxHeaderSize: config.MAX_HEADER_BYTES },
    frameworkErrors,
    clientErrorHandler,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // TF Serving reads every body as JSON, whatever its content type: `curl -d`, as its documentation calls it, sends a form's.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.setErrorHandler((error: FastifyError, _request, reply) => sendError(reply, error));
  app.setNotFoundHandler((request, reply) => reply.code(request.url.startsWith('/v1/') ? 400 : 404).send(malformedBody(request)));

  const shared: Services = {
    config,
    redis: main.redis,
    models: main.models,
    datasets: main.datasets,
    jobs: main.jobs,
    jobEvents: main.jobEvents,
    sweeps: main.sweeps,
    artifacts: main.artifacts,
    queue: main.queue,
    backend: main.backend,
    modelCache: main.modelCache,
    metrics: main.metrics,
    uploadSlots: main.uploadSlots,
    lifecycle: main.lifecycle,
  };
  await app.register(servicesPlugin, shared);
  await app.register(limitsPlugin, { maxJsonDepth: config.MAX_JSON_DEPTH });
  // The API's headers and CORS_ORIGINS: a browser app that may call the API may call this port too, and a preflight needs no key.
  await app.register(securityPlugin, { corsOrigins: config.CORS_ORIGINS });
  await app.register(rateLimitPlugin, { max: config.RATE_LIMIT_MAX, windowMs: config.RATE_LIMIT_WINDOW_MS });
  await app.register(authPlugin, { keys: config.API_KEYS });
  timeResponses(app, () => 'tfserving');
  await app.register(tfservingOpenApiPlugin);
  await app.register(tfservingRoutes);
  return app;
}

function malformedBody(request: FastifyRequest): { error: string } {
  return { error: malformed(request.method, request.url).message };
}

/**
 * Opens TensorFlow Serving's REST API on TFSERVING_PORT with the app, and
 * closes it with the app; 0 leaves it off. A port that is taken fails the
 * app's start, as its own port would.
 */
async function tfserving(app: FastifyInstance): Promise<void> {
  const port = app.config.TFSERVING_PORT;
  if (port === 0) return;
  let server: FastifyInstance | undefined;
  app.addHook('onReady', async () => {
    server = await buildTfServingApp(app);
    await server.listen({ port, host: app.config.HOST });
    app.log.info({ port }, 'TensorFlow Serving REST API');
  });
  app.addHook('onClose', async () => {
    await server?.close();
  });
}

export default fp(tfserving, { name: 'tfserving', dependencies: ['services'] });
