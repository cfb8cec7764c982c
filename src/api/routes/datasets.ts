import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BUILTIN_DATASETS } from '../../datasets/builtins.js';
import { inlineDataset } from '../../datasets/ref.js';
import type { Dataset } from '../../datasets/types.js';
import { AppError, ValidationError, fromZodError } from '../../errors.js';
import type { AppDeps } from '../app.js';
import { errorResponses } from '../schemas/common.js';
import { DatasetListSchema, DatasetParamsSchema, DatasetSchema, JsonDatasetSchema, UploadQuerySchema } from '../schemas/datasets.js';
import { deleteDataset, parseCsvUpload, parseNpyPair, parseNpzUpload, receiveUpload, storeDataset } from '../services/datasets.js';

const NPZ_TYPES = ['application/zip', 'application/x-npz', 'application/octet-stream'];

interface UploadForm {
  form: string;
  operationId: string;
  summary: string;
  /** The first is the one the document names. */
  types: readonly string[];
}

const UPLOAD_FORMS: readonly UploadForm[] = [
  { form: 'csv', operationId: 'uploadCsvDataset', summary: 'Upload a CSV dataset (a header row; ?target= names the label column)', types: ['text/csv'] },
  { form: 'npz', operationId: 'uploadNpzDataset', summary: 'Upload a NumPy .npz dataset with arrays x and y', types: NPZ_TYPES },
  { form: 'npy', operationId: 'uploadNpyDataset', summary: 'Upload NumPy .npy files x and y as a multipart form', types: ['multipart/form-data'] },
];

const UPLOAD_DESCRIPTION = `Upload a dataset as JSON: \`{"name", "x", "y", "class_names"?}\`, nested arrays.
CSV, NumPy .npz and .npy files have their own operations (\`POST /v1/datasets/csv\`, \`/npz\`, \`/npy\`), each with one request body type;
this operation reads those bodies too, by their content type, for clients written before them.
Uploads stream to disk and are refused with 413 past the limit.`;

export default async function datasetRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const limit = deps.config.UPLOAD_LIMIT;
  // These bodies reach the handler as streams, never buffered by Fastify; the upload's own limit applies.
  app.addContentTypeParser(['text/csv', ...NPZ_TYPES], (_request, payload, done) => done(null, payload));
  await app.register(multipart, { limits: { fileSize: limit, files: 2, fields: 4 } });
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.post(
    '/v1/datasets',
    {
      bodyLimit: deps.config.JSON_UPLOAD_LIMIT,
      schema: {
        tags: ['datasets'],
        operationId: 'uploadDataset',
        summary: 'Upload a dataset (JSON, CSV, NumPy .npz or .npy files)',
        description: UPLOAD_DESCRIPTION,
        querystring: UploadQuerySchema,
        consumes: ['application/json', 'text/csv', 'application/zip', 'application/octet-stream', 'multipart/form-data'],
        response: { 201: DatasetSchema, ...errorResponses(400, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const { name, dataset } = await readUpload(deps, request, request.query, limit);
      return reply.code(201).send(await storeDataset(deps, name, dataset));
    },
  );

  // One operation per upload form, so that SDK generators can type each body; POST /v1/datasets reads them all too.
  for (const upload of UPLOAD_FORMS) {
    routes.post(
      `/v1/datasets/${upload.form}`,
      {
        schema: {
          tags: ['datasets'],
          operationId: upload.operationId,
          summary: upload.summary,
          querystring: UploadQuerySchema,
          consumes: [...upload.types],
          response: { 201: DatasetSchema, ...errorResponses(400, 409, 413, 415) },
        },
      },
      async (request, reply) => {
        const type = contentTypeOf(request);
        if (!upload.types.includes(type)) {
          throw new AppError(415, 'unsupported_media_type', `POST /v1/datasets/${upload.form} reads ${upload.types[0]}, not ${type || 'a body without a content type'}`);
        }
        const { name, dataset } = await readUpload(deps, request, request.query, limit);
        return reply.code(201).send(await storeDataset(deps, name, dataset));
      },
    );
  }

  routes.get(
    '/v1/datasets',
    { schema: { tags: ['datasets'], operationId: 'listDatasets', summary: 'Built-in and uploaded datasets', response: { 200: DatasetListSchema } } },
    async () => ({ builtin: [...BUILTIN_DATASETS], datasets: await deps.registry.listDatasets() }),
  );

  routes.get(
    '/v1/datasets/:dataset',
    { schema: { tags: ['datasets'], operationId: 'getDataset', summary: 'One uploaded dataset', params: DatasetParamsSchema, response: { 200: DatasetSchema, ...errorResponses(404) } } },
    async (request) => deps.registry.getDataset(request.params.dataset),
  );

  routes.delete(
    '/v1/datasets/:dataset',
    {
      schema: {
        tags: ['datasets'],
        operationId: 'deleteDataset',
        summary: 'Delete an uploaded dataset; 409 while a queued or running job uses it',
        params: DatasetParamsSchema,
        response: { 204: z.null().describe('deleted'), ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      await deleteDataset(deps, request.params.dataset);
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

async function readUpload(
  deps: AppDeps,
  request: FastifyRequest,
  query: z.infer<typeof UploadQuerySchema>,
  limit: number,
): Promise<{ name: string; dataset: Dataset }> {
  const type = contentTypeOf(request);
  if (type === 'application/json') {
    const parsed = JsonDatasetSchema.safeParse(request.body);
    if (!parsed.success) throw fromZodError(parsed.error);
    return { name: parsed.data.name, dataset: inlineDataset(parsed.data, '') };
  }
  if (type === 'text/csv') {
    const name = requireName(query.name);
    const bytes = await receiveUpload(deps, request.body as NodeJS.ReadableStream as AsyncIterable<Uint8Array>, limit);
    return { name, dataset: parseCsvUpload(bytes, name, query.target) };
  }
  if (NPZ_TYPES.includes(type)) {
    const name = requireName(query.name);
    const bytes = await receiveUpload(deps, request.body as NodeJS.ReadableStream as AsyncIterable<Uint8Array>, limit);
    return { name, dataset: parseNpzUpload(bytes, limit) };
  }
  if (type === 'multipart/form-data') return readMultipart(deps, request, query, limit);
  throw new AppError(415, 'unsupported_media_type', `cannot read a dataset from ${type || 'a body without a content type'}; see POST /v1/datasets in /docs`);
}

async function readMultipart(
  deps: AppDeps,
  request: FastifyRequest,
  query: z.infer<typeof UploadQuerySchema>,
  limit: number,
): Promise<{ name: string; dataset: Dataset }> {
  const fields: Record<string, string> = {};
  const files: Record<string, { filename: string; bytes: Buffer }> = {};
  let received = 0;
  for await (const part of request.parts()) {
    if (part.type === 'field') {
      fields[part.fieldname] = String(part.value);
      continue;
    }
    const bytes = await receiveUpload(deps, part.file, limit - received);
    received += bytes.byteLength;
    files[part.fieldname] = { filename: part.filename, bytes };
  }
  const name = requireName(fields.name ?? query.name);
  const single = files.file;
  if (single) {
    const isCsv = single.filename.toLowerCase().endsWith('.csv');
    return { name, dataset: isCsv ? parseCsvUpload(single.bytes, name, fields.target ?? query.target) : parseNpzUpload(single.bytes, limit) };
  }
  return { name, dataset: parseNpyPair(files.x?.bytes, files.y?.bytes) };
}
