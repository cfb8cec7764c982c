import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { tenantOf } from '../request-tenant.js';
import { ModelParamsSchema, errorResponses } from '../schemas/common.js';
import {
  EvaluateSchema,
  EvaluationSchema,
  InspectSchema,
  InspectionSchema,
  LayersQuerySchema,
  LayersSchema,
  PredictSchema,
  PredictionSchema,
} from '../schemas/serving.js';
import { evaluateWith, inspectWith, layersOf, predictJson } from '../services/serving.js';

export default async function servingRoutes(app: FastifyInstance): Promise<void> {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.post(
    '/v1/models/:model/predict',
    {
      config: { access: 'predict' },
      schema: {
        tags: ['serving'],
        operationId: 'predict',
        summary: 'Predict with the latest (or a given) trained version',
        params: ModelParamsSchema,
        body: PredictSchema,
        response: { 200: PredictionSchema, ...errorResponses(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const json = await predictJson(app, tenantOf(request), request.params.model, request.body.instances, request.body.version);
      // Already the schema's JSON: Fastify sends a string with a JSON content type as it is, past the serializer.
      return reply.type('application/json').send(json as unknown as z.infer<typeof PredictionSchema>);
    },
  );

  routes.post(
    '/v1/models/:model/evaluate',
    {
      config: { access: 'predict' },
      schema: {
        tags: ['serving'],
        operationId: 'evaluate',
        summary: "Loss and metrics on labelled data, under Keras's names",
        params: ModelParamsSchema,
        body: EvaluateSchema,
        response: { 200: EvaluationSchema, ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => evaluateWith(app, tenantOf(request), request.params.model, request.body),
  );

  routes.post(
    '/v1/models/:model/inspect',
    {
      config: { access: 'predict' },
      schema: {
        tags: ['serving'],
        operationId: 'inspect',
        summary: "Every layer's output for the instances, in order",
        params: ModelParamsSchema,
        body: InspectSchema,
        response: { 200: InspectionSchema, ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => inspectWith(app, tenantOf(request), request.params.model, request.body.instances, request.body.version),
  );

  routes.get(
    '/v1/models/:model/layers',
    {
      config: { access: 'predict' },
      schema: {
        tags: ['serving'],
        operationId: 'listLayers',
        summary: "Each layer's config, output shape, parameter count and (weights=true) weights",
        params: ModelParamsSchema,
        querystring: LayersQuerySchema,
        response: { 200: LayersSchema, ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => layersOf(app, tenantOf(request), request.params.model, request.query.weights, request.query.version),
  );
}
