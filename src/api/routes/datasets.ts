import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BUILTIN_DATASETS } from '../../datasets/builtins.js';
import { DATASET_FORMATS, formatOfContentType, formatOfFileName, uploadContentTypes } from '../../datasets/formats.js';
import { inlineDataset } from '../../datasets/ref.js';
import { encodeForStore, type EncodedDataset } from '../../datasets/storage.js';
import type { UploadSource } from '../../datasets/upload.js';
import { AppError, ValidationError, fromZodError } from '../../errors.js';
import { visibleTo } from '../../registry/tenants.js';
import { tenantOf } from '../request-tenant.js';
import { errorResponses } from '../schemas/common.js';
import { DatasetListSchema, DatasetParamsSchema, DatasetSchema, JsonDatasetSchema, UploadQuerySchema, publicDataset } from '../schemas/datasets.js';
import { deleteDataset, parseUpload, receiveFile, storeEncoded, withUploadFolder } from '../services/datasets.js';
import { ownDataset } from '../services/owned.js';

const UPLOAD_DESCRIPTION = `Upload a dataset as JSON: \`{"name", "x", "y", "class_names"?}\`, nested arrays.
Files have their own operations, one request body type each: \`POST /v1/datasets/csv\`, \`/npz\`, \`/npy\`.
This operation reads those bodies too, by their content type, for clients written before them.`;

/** `csv` → `uploadCsvDataset`. */
function uploadOperationId(form: string): string {
  return `upload${form.charAt(0).toUpperCase()}${form.slice(1)}Dataset`;
}

export default async function datasetRoutes(app: FastifyInstance): Promise<void> {
  const limit = app.config.UPLOAD_LIMIT;
  // These bodies reach the handler as streams, never buffered by Fastify; the upload's own limit applies.
  app.addContentTypeParser(uploadContentTypes(), (_request, payload, done) => done(null, payload));
  await app.register(multipart, { limits: { fileSize: limit, files: 2, fields: 4 } });
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.post(
    '/v1/datasets',
    {
      config: { access: 'train' },
      bodyLimit: app.config.JSON_UPLOAD_LIMIT,
      schema: {
        tags: ['datasets'],
        operationId: 'uploadDataset',
        summary: 'Upload a dataset as JSON',
        description: UPLOAD_DESCRIPTION,
        querystring: UploadQuerySchema,
        consumes: ['application/json', ...DATASET_FORMATS.flatMap((format) => format.contentTypes), 'multipart/form-data'],
        response: { 201: DatasetSchema, ...errorResponses(400, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const { name, encoded } = await readUpload(app, request, request.query, limit);
      return reply.code(201).send(publicDataset(await storeEncoded(app, tenantOf(request), name, encoded)));
    },
  );

  // One operation per file format, so that SDK generators can type each body.
  for (const format of DATASET_FORMATS) {
    routes.post(
      `/v1/datasets/${format.name}`,
      {
        config: { access: 'train' },
        schema: {
          tags: ['datasets'],
          operationId: uploadOperationId(format.name),
          summary: `Upload a dataset as a .${format.name} file`,
          description: `${format.description}. Streams to disk; refused with 413 past the upload limit.`,
          querystring: UploadQuerySchema,
          consumes: [...format.contentTypes],
          response: { 201: DatasetSchema, ...errorResponses(400, 409, 413, 415) },
        },
      },
      async (request, reply) => {
        const type = contentTypeOf(request);
        if (formatOfContentType(type) !== format) {
          throw new AppError(415, 'unsupported_media_type', `POST /v1/datasets/${format.name} reads ${format.contentTypes.join(' or ')}, not ${type || 'a body without a content type'}`);
        }
        const { name, encoded } = await readUpload(app, request, request.query, limit);
        return reply.code(201).send(publicDataset(await storeEncoded(app, tenantOf(request), name, encoded)));
      },
    );
  }

  routes.post(
    '/v1/datasets/npy',
    {
      config: { access: 'train' },
      schema: {
        tags: ['datasets'],
        operationId: uploadOperationId('npy'),
        summary: 'Upload a dataset as two .npy files, x and y, in a multipart form',
        description: 'Streams to disk; refused with 413 past the upload limit.',
        querystring: UploadQuerySchema,
        consumes: ['multipart/form-data'],
        response: { 201: DatasetSchema, ...errorResponses(400, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const type = contentTypeOf(request);
      if (type !== 'multipart/form-data') {
        throw new AppError(415, 'unsupported_media_type', `POST /v1/datasets/npy reads multipart/form-data, not ${type || 'a body without a content type'}`);
      }
      const { name, encoded } = await readMultipart(app, request, request.query, limit);
      return reply.code(201).send(publicDataset(await storeEncoded(app, tenantOf(request), name, encoded)));
    },
  );

  routes.get(
    '/v1/datasets',
    { config: { access: 'train' }, schema: { tags: ['datasets'], operationId: 'listDatasets', summary: 'Built-in and uploaded datasets', description: "A key with a tenant lists its tenant's uploaded datasets only.", response: { 200: DatasetListSchema } } },
    async (request) => ({
      builtin: [...BUILTIN_DATASETS],
      datasets: (await app.datasets.list()).filter((dataset) => visibleTo(tenantOf(request), dataset)).map(publicDataset),
    }),
  );

  routes.get(
    '/v1/datasets/:dataset',
    { config: { access: 'train' }, schema: { tags: ['datasets'], operationId: 'getDataset', summary: 'One uploaded dataset', params: DatasetParamsSchema, response: { 200: DatasetSchema, ...errorResponses(404) } } },
    async (request) => publicDataset(await ownDataset(app, tenantOf(request), request.params.dataset)),
  );

  routes.delete(
    '/v1/datasets/:dataset',
    {
      config: { access: 'train' },
      schema: {
        tags: ['datasets'],
        operationId: 'deleteDataset',
        summary: 'Delete an uploaded dataset; 409 while a queued or running job uses it',
        params: DatasetParamsSchema,
        response: { 204: z.null().describe('deleted'), ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      await deleteDataset(app, tenantOf(request), request.params.dataset);
      return reply.code(204).send(null);
    },
  );
}

function contentTypeOf(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function requireName(name: string | undefined): string {
  if (!name) throw ValidationError.at('name', 'give the dataset a name: ?name=NAME');
  return name;
}

/** An upload as the arrays it is stored as; files are read in a worker thread (upload-parser.ts). */
interface Upload {
  name: string;
  encoded: EncodedDataset;
}

async function readUpload(
  app: FastifyInstance,
  request: FastifyRequest,
  query: z.infer<typeof UploadQuerySchema>,
  limit: number,
): Promise<Upload> {
  const type = contentTypeOf(request);
  if (type === 'application/json') {
    const parsed = JsonDatasetSchema.safeParse(request.body);
    if (!parsed.success) throw fromZodError(parsed.error);
    return { name: parsed.data.name, encoded: encodeForStore(inlineDataset(parsed.data, '')) };
  }
  const format = formatOfContentType(type);
  if (format) {
    const name = requireName(query.name);
    const options = { name, target: query.target, maxBytes: limit };
    const encoded = await withUploadFolder(app, async (folder) => {
      await receiveFile(app, folder, 'file', request.body as NodeJS.ReadableStream as AsyncIterable<Uint8Array>, limit);
      return parseUpload(app, folder, { kind: 'file', format: format.name, options });
    });
    return { name, encoded };
  }
  if (type === 'multipart/form-data') return readMultipart(app, request, query, limit);
  throw new AppError(415, 'unsupported_media_type', `cannot read a dataset from ${type || 'a body without a content type'}; see POST /v1/datasets in /docs`);
}

/**
 * The form parser (busboy) fails a body with no boundary, or one cut short,
 * with a plain Error; the limits and our own checks carry a status already.
 */
function malformedMultipart(error: unknown): unknown {
  if (error instanceof AppError || !(error instanceof Error) || 'statusCode' in error) return error;
  return new AppError(400, 'invalid_multipart', `the multipart body cannot be read: ${error.message.slice(0, 100)}`);
}

function uploadSourceOf(field: string): UploadSource | undefined {
  return field === 'file' || field === 'x' || field === 'y' ? field : undefined;
}

async function readMultipart(
  app: FastifyInstance,
  request: FastifyRequest,
  query: z.infer<typeof UploadQuerySchema>,
  limit: number,
): Promise<Upload> {
  return withUploadFolder(app, async (folder) => {
    const fields: Record<string, string> = {};
    const fileNames: Partial<Record<UploadSource, string>> = {};
    let received = 0;
    try {
      for await (const part of request.parts()) {
        if (part.type === 'field') {
          fields[part.fieldname] = String(part.value);
          continue;
        }
        // Other file fields are read (they count towards the limit) and left unused.
        const source = uploadSourceOf(part.fieldname);
        received += await receiveFile(app, folder, source ?? 'unused', part.file, limit - received);
        if (source) fileNames[source] = part.filename;
      }
    } catch (error) {
      throw malformedMultipart(error);
    }
    const name = requireName(fields.name ?? query.name);
    if (fileNames.file !== undefined) {
      const format = formatOfFileName(fileNames.file);
      const options = { name, target: fields.target ?? query.target, maxBytes: limit };
      return { name, encoded: await parseUpload(app, folder, { kind: 'file', format: format.name, options }) };
    }
    if (fileNames.x === undefined || fileNames.y === undefined) {
      throw ValidationError.at(fileNames.x === undefined ? 'x' : 'y', 'multipart uploads need two .npy files, in fields named x and y');
    }
    return { name, encoded: await parseUpload(app, folder, { kind: 'npy-pair', maxBytes: limit }) };
  });
}
