import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { tenantOf } from '../request-tenant.js';
import { errorResponses } from '../schemas/common.js';
import { CreateSweepSchema, SweepListSchema, SweepParamsSchema, SweepSchema } from '../schemas/sweeps.js';
import { cancelSweep, createSweep, getSweep, listSweeps, promoteSweep, streamSweepEvents } from '../services/sweeps.js';

export default async function sweepRoutes(app: FastifyInstance): Promise<void> {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.post(
    '/v1/sweeps',
    {
      config: { access: 'train' },
      schema: {
        tags: ['sweeps'],
        operationId: 'createSweep',
        summary: 'Start a hyperparameter sweep: the whole space is checked, then the first trials are queued as training jobs',
        body: CreateSweepSchema,
        response: { 202: SweepSchema, ...errorResponses(400, 404, 409, 413) },
      },
    },
    async (request, reply) => reply.code(202).send(await createSweep(app, tenantOf(request), request.body)),
  );

  routes.get(
    '/v1/sweeps',
    { config: { access: 'train' }, schema: { tags: ['sweeps'], operationId: 'listSweeps', summary: 'List sweeps, newest first, without their trials', response: { 200: SweepListSchema } } },
    async (request) => ({ sweeps: await listSweeps(app, tenantOf(request)) }),
  );

  routes.get(
    '/v1/sweeps/:sweep',
    {
      config: { access: 'train' },
      schema: { tags: ['sweeps'], operationId: 'getSweep', summary: "One sweep: every trial's arguments, status, job and objective, and the best", params: SweepParamsSchema, response: { 200: SweepSchema, ...errorResponses(404) } },
    },
    async (request) => getSweep(app, tenantOf(request), request.params.sweep),
  );

  routes.get(
    '/v1/sweeps/:sweep/events',
    {
      config: { access: 'train' },
      schema: {
        tags: ['sweeps'],
        operationId: 'streamSweepEvents',
        summary: 'Server-Sent Events: a `trial` event per trial change, an `epoch` event per trial epoch, a `status` event per sweep change; closes when the sweep ends',
        params: SweepParamsSchema,
        produces: ['text/event-stream'],
        response: { ...errorResponses(404) },
      },
    },
    async (request, reply) => streamSweepEvents(app, tenantOf(request), request.params.sweep, request, reply),
  );

  routes.post(
    '/v1/sweeps/:sweep/cancel',
    {
      config: { access: 'train' },
      schema: {
        tags: ['sweeps'],
        operationId: 'cancelSweep',
        summary: 'Cancel a running sweep: no trial is queued after this, and every queued or running trial is cancelled',
        params: SweepParamsSchema,
        response: { 200: SweepSchema, ...errorResponses(404, 409) },
      },
    },
    async (request) => cancelSweep(app, tenantOf(request), request.params.sweep),
  );

  routes.post(
    '/v1/sweeps/:sweep/promote',
    {
      config: { access: 'train' },
      schema: {
        tags: ['sweeps'],
        operationId: 'promoteSweep',
        summary: "Make the best trial the model's latest version, and its arguments the model's definition",
        params: SweepParamsSchema,
        response: { 200: SweepSchema, ...errorResponses(404, 409) },
      },
    },
    async (request) => promoteSweep(app, tenantOf(request), request.params.sweep),
  );
}
