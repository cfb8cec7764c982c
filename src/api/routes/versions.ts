import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantOf } from '../request-tenant.js';
import { ModelParamsSchema, errorResponses } from '../schemas/common.js';
import { VersionListSchema, VersionParamsSchema, VersionSchema } from '../schemas/models.js';
import { artifactFile, artifactFileUrl, artifactModelJson } from '../services/artifacts.js';
import { ownModel } from '../services/owned.js';

export default async function versionRoutes(app: FastifyInstance): Promise<void> {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get(
    '/v1/models/:model/versions',
    { config: { access: 'predict' }, schema: { tags: ['versions'], operationId: 'listVersions', summary: "A model's trained versions", params: ModelParamsSchema, response: { 200: VersionListSchema, ...errorResponses(404) } } },
    async (request) => {
      const model = await ownModel(app, tenantOf(request), request.params.model);
      return { versions: await app.models.listVersions(model.id) };
    },
  );

  routes.get(
    '/v1/models/:model/versions/:version',
    { config: { access: 'predict' }, schema: { tags: ['versions'], operationId: 'getVersion', summary: 'One trained version', params: VersionParamsSchema, response: { 200: VersionSchema, ...errorResponses(404) } } },
    async (request) => {
      const model = await ownModel(app, tenantOf(request), request.params.model);
      return app.models.getVersion(model.id, request.params.version);
    },
  );

  routes.get(
    '/v1/models/:model/versions/:version/artifact',
    {
      config: { access: 'predict' },
      schema: {
        tags: ['versions'],
        operationId: 'getArtifact',
        summary: 'The version as TensorFlow.js layers-format model.json; pass this URL to tf.loadLayersModel',
        params: VersionParamsSchema,
        response: { 200: z.record(z.string(), z.unknown()), ...errorResponses(404) },
      },
    },
    async (request) => artifactModelJson(app, tenantOf(request), request.params.model, request.params.version),
  );

  routes.get(
    '/v1/models/:model/versions/:version/artifact/:file',
    {
      config: { access: 'predict' },
      schema: {
        tags: ['versions'],
        operationId: 'getArtifactFile',
        summary: "A file of the version's artifact (weights), as model.json names it",
        description: 'With `ARTIFACT_REDIRECT=presigned` and an S3 store, a 302 to a short-lived URL of the file in the bucket.',
        params: VersionParamsSchema.extend({ file: z.string().regex(/^[\w.-]+$/) }),
        produces: ['application/octet-stream'],
      },
    },
    async (request, reply) => {
      if (app.config.ARTIFACT_REDIRECT === 'presigned') {
        const url = await artifactFileUrl(app, tenantOf(request), request.params.model, request.params.version, request.params.file);
        if (url) return reply.redirect(url, 302);
      }
      const { stream, size } = await artifactFile(app, tenantOf(request), request.params.model, request.params.version, request.params.file);
      return reply.type('application/octet-stream').header('content-length', size).send(stream);
    },
  );
}
