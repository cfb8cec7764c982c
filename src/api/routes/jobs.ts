import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { tenantOf } from '../request-tenant.js';
import { errorResponses } from '../schemas/common.js';
import { CreateJobSchema, JobListSchema, JobParamsSchema, JobSchema, ListJobsQuerySchema } from '../schemas/jobs.js';
import { cancelJob, streamJobEvents } from '../services/job-control.js';
import { listJobs, submitJob } from '../services/jobs.js';
import { ownJob } from '../services/owned.js';

export default async function jobRoutes(app: FastifyInstance): Promise<void> {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.post(
    '/v1/jobs',
    {
      config: { access: 'train' },
      schema: {
        tags: ['jobs'],
        operationId: 'createJob',
        summary: 'Queue a training job',
        body: CreateJobSchema,
        response: { 202: JobSchema, ...errorResponses(400, 404, 409, 413) },
      },
    },
    async (request, reply) => reply.code(202).send(await submitJob(app, tenantOf(request), request.body)),
  );

  routes.get(
    '/v1/jobs',
    { config: { access: 'train' }, schema: { tags: ['jobs'], operationId: 'listJobs', summary: 'List jobs, newest first, a page at a time', description: "A key with a tenant lists its tenant's jobs only.", querystring: ListJobsQuerySchema, response: { 200: JobListSchema, ...errorResponses(400) } } },
    async (request) => listJobs(app, tenantOf(request), request.query),
  );

  routes.get(
    '/v1/jobs/:job',
    { config: { access: 'train' }, schema: { tags: ['jobs'], operationId: 'getJob', summary: 'One job: status, progress, history', params: JobParamsSchema, response: { 200: JobSchema, ...errorResponses(404) } } },
    async (request) => ownJob(app, tenantOf(request), request.params.job),
  );

  routes.get(
    '/v1/jobs/:job/events',
    {
      config: { access: 'train' },
      schema: {
        tags: ['jobs'],
        operationId: 'streamJobEvents',
        summary: 'Server-Sent Events: an `epoch` event per epoch, a `status` event per change; closes when the job ends',
        params: JobParamsSchema,
        produces: ['text/event-stream'],
        response: { ...errorResponses(404) },
      },
    },
    async (request, reply) => streamJobEvents(app, tenantOf(request), request.params.job, request, reply),
  );

  routes.post(
    '/v1/jobs/:job/cancel',
    {
      config: { access: 'train' },
      schema: {
        tags: ['jobs'],
        operationId: 'cancelJob',
        summary: 'Cancel a queued or running job; a running one stops at its next batch',
        params: JobParamsSchema,
        response: { 200: JobSchema, 202: JobSchema, ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      const { job, immediate } = await cancelJob(app, tenantOf(request), request.params.job);
      return reply.code(immediate ? 200 : 202).send(job);
    },
  );
}
