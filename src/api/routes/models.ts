import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseModelDefinition } from '../../models/index.js';
import { visibleTo } from '../../registry/tenants.js';
import { tenantOf } from '../request-tenant.js';
import { ModelParamsSchema, errorResponses } from '../schemas/common.js';
import { CreateModelSchema, ModelListSchema, ModelSchema } from '../schemas/models.js';
import { createModel, deleteModel } from '../services/models.js';
import { ownModel } from '../services/owned.js';
import { cancelModelSweeps } from '../services/sweeps.js';

export default async function modelRoutes(app: FastifyInstance): Promise<void> {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.post(
    '/v1/models',
    { config: { access: 'train' }, schema: { tags: ['models'], operationId: 'createModel', summary: 'Define a model', body: CreateModelSchema, response: { 201: ModelSchema, ...errorResponses(400, 409, 413) } } },
    async (request, reply) => {
      const definition = parseModelDefinition(request.body);
      const model = await createModel(app, tenantOf(request), { ...definition, name: request.body.name });
      return reply.code(201).send(model);
    },
  );

  routes.get(
    '/v1/models',
    {
      config: { access: 'predict' },
      schema: { tags: ['models'], operationId: 'listModels', summary: 'List models', description: "A key with a tenant lists its tenant's models only.", response: { 200: ModelListSchema } },
    },
    async (request) => ({ models: (await app.models.list()).filter((model) => visibleTo(tenantOf(request), model)) }),
  );

  routes.get(
    '/v1/models/:model',
    { config: { access: 'predict' }, schema: { tags: ['models'], operationId: 'getModel', summary: 'One model', params: ModelParamsSchema, response: { 200: ModelSchema, ...errorResponses(404) } } },
    async (request) => ownModel(app, tenantOf(request), request.params.model),
  );

  routes.delete(
    '/v1/models/:model',
    { config: { access: 'train' }, schema: { tags: ['models'], operationId: 'deleteModel', summary: 'Delete a model and its versions', params: ModelParamsSchema, response: { 204: z.null().describe('deleted'), ...errorResponses(404) } } },
    async (request, reply) => {
      const model = await ownModel(app, tenantOf(request), request.params.model);
      // Its sweeps first, so none queues a trial while the model's jobs are cancelled.
      await cancelModelSweeps(app, model.id);
      await deleteModel(app, tenantOf(request), model.id);
      return reply.code(204).send(null);
    },
  );
}
