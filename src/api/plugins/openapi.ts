import { STATUS_CODES } from 'node:http';
import swagger, { type SwaggerTransform } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createJsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BuiltinDatasetInfoSchema } from '../../datasets/builtins.js';
import { DATASET_FORMATS } from '../../datasets/formats.js';
import { PreprocessingSchema, PreprocessingStateSchema } from '../../datasets/preprocessing.js';
import { DatasetRefSchema } from '../../datasets/ref.js';
import { FunctionalLayerSchema, SequentialLayerSchema } from '../../models/index.js';
import { ActivationSchema } from '../../models/index.js';
import {
  ArchitectureSchema,
  CompileSchema,
  FunctionalArchitectureSchema,
  KerasArchitectureSchema,
  LossSchema,
  MetricSchema,
  ModelDefinitionSchema,
  ResolvedModelDefinitionSchema,
  OptimizerSchema,
  SequentialArchitectureSchema,
} from '../../models/index.js';
import { BatchShapeSchema, InitializerSchema, LayerName, RegularizerSchema, SampleShapeSchema, baseKeys } from '../../models/index.js';
import { JobErrorSchema, JobProgressSchema } from '../../jobs/record.js';
import { JobStatusSchema } from '../../jobs/status.js';
import { BackendRecordSchema, HistorySchema, ModelSummarySchema } from '../../registry/records.js';
import { EarlyStoppingSchema, FitSchema } from '../../jobs/contract.js';
import { ErrorResponseSchema } from '../schemas/common.js';
import { publicScope } from '../access.js';
import { API_KEY_SCHEME, documentTransform, packageVersion, serveDocument, sharedResponses } from '../openapi-document.js';
import { TensorSchema } from '../../documented.js';
import { JobEpochEventSchema, JobEventDataSchema, JobStatusEventSchema } from '../schemas/job-events.js';
import { SweepEpochEventSchema, SweepEventDataSchema, SweepStatusEventSchema, SweepTrialEventSchema } from '../schemas/sweep-events.js';
import { CreateSweepSchema, SweepListSchema, SweepSchema, SweepSummarySchema } from '../schemas/sweeps.js';
import { TrialSchema } from '../../sweeps/record.js';
import { DistributionSchema } from '../../sweeps/space.js';
import { DatasetListSchema, DatasetSchema, JsonDatasetSchema } from '../schemas/datasets.js';
import { CreateJobSchema, JobListSchema, JobSchema } from '../schemas/jobs.js';
import { CreateModelSchema, ModelListSchema, ModelSchema, VersionListSchema, VersionSchema } from '../schemas/models.js';
import { EvaluateSchema, EvaluationSchema, InspectSchema, InspectionSchema, LayersSchema, PredictSchema, PredictionSchema } from '../schemas/serving.js';

/**
 * The schemas the document names under components/schemas. A schema used in
 * many places (the layer catalogue repeats initializers, regularizers and
 * activations per layer) is written once and referenced, and SDK users get
 * a type per name. Never a querystring or path-parameter schema: those are
 * spelled out as parameters.
 */
function components(): [z.ZodType, string][] {
  const named: [z.ZodType, string][] = [
    [ErrorResponseSchema, 'Error'],
    [ModelSchema, 'Model'],
    [ModelListSchema, 'ModelList'],
    [CreateModelSchema, 'CreateModel'],
    [VersionSchema, 'Version'],
    [VersionListSchema, 'VersionList'],
    [JobSchema, 'Job'],
    [JobListSchema, 'JobList'],
    [JobStatusSchema, 'JobStatus'],
    [JobProgressSchema, 'JobProgress'],
    [JobErrorSchema, 'JobError'],
    [JobEventDataSchema, 'JobEvent'],
    [JobEpochEventSchema, 'JobEpochEvent'],
    [JobStatusEventSchema, 'JobStatusEvent'],
    [CreateSweepSchema, 'CreateSweep'],
    [SweepSchema, 'Sweep'],
    [SweepSummarySchema, 'SweepSummary'],
    [SweepListSchema, 'SweepList'],
    [TrialSchema, 'Trial'],
    [DistributionSchema, 'Distribution'],
    [SweepEventDataSchema, 'SweepEvent'],
    [SweepTrialEventSchema, 'SweepTrialEvent'],
    [SweepEpochEventSchema, 'SweepEpochEvent'],
    [SweepStatusEventSchema, 'SweepStatusEvent'],
    [TensorSchema, 'Tensor'],
    [ResolvedModelDefinitionSchema, 'StoredModelDefinition'],
    [ModelSummarySchema, 'ModelSummary'],
    [PreprocessingStateSchema, 'PreprocessingState'],
    [CreateJobSchema, 'CreateJob'],
    [HistorySchema, 'History'],
    [BackendRecordSchema, 'Backend'],
    [FitSchema, 'Fit'],
    [EarlyStoppingSchema, 'EarlyStopping'],
    [PreprocessingSchema, 'Preprocessing'],
    [DatasetSchema, 'Dataset'],
    [DatasetListSchema, 'DatasetList'],
    [JsonDatasetSchema, 'DatasetUpload'],
    [BuiltinDatasetInfoSchema, 'BuiltinDataset'],
    [DatasetRefSchema, 'DatasetRef'],
    [PredictSchema, 'PredictRequest'],
    [PredictionSchema, 'Prediction'],
    [EvaluateSchema, 'EvaluateRequest'],
    [EvaluationSchema, 'Evaluation'],
    [InspectSchema, 'InspectRequest'],
    [InspectionSchema, 'Inspection'],
    [LayersSchema, 'Layers'],
    [ModelDefinitionSchema, 'ModelDefinition'],
    [ArchitectureSchema, 'Architecture'],
    [SequentialArchitectureSchema, 'SequentialArchitecture'],
    [FunctionalArchitectureSchema, 'FunctionalArchitecture'],
    [KerasArchitectureSchema, 'KerasArchitecture'],
    [CompileSchema, 'Compile'],
    [OptimizerSchema, 'Optimizer'],
    [LossSchema, 'Loss'],
    [MetricSchema, 'Metric'],
    [ActivationSchema, 'Activation'],
    [InitializerSchema, 'Initializer'],
    [RegularizerSchema, 'Regularizer'],
    [SampleShapeSchema, 'Shape'],
    [BatchShapeSchema, 'BatchShape'],
    [LayerName, 'LayerName'],
    [baseKeys.dtype.unwrap(), 'LayerDtype'],
    [SequentialLayerSchema, 'SequentialLayer'],
    [FunctionalLayerSchema, 'FunctionalLayer'],
  ];
  // One name per layer type: `DenseLayer` in a sequential model, `FunctionalDenseLayer` in a functional one; `InputLayer` as it is.
  for (const [union, prefix] of [
    [SequentialLayerSchema, ''],
    [FunctionalLayerSchema, 'Functional'],
  ] as const) {
    if (!(union instanceof z.ZodDiscriminatedUnion)) throw new Error('the layer schemas are expected to be discriminated unions');
    for (const option of union.options) {
      const type = (option as z.ZodObject).shape.type;
      if (!(type instanceof z.ZodLiteral) || typeof type.value !== 'string') throw new Error('a layer schema needs a literal type');
      named.push([option as z.ZodType, `${prefix}${type.value.replace(/Layer$/, '')}Layer`]);
    }
  }
  return named;
}

/**
 * Gives the schemas their component ids in zod's global registry, where
 * fastify-type-provider-zod looks for them and where their descriptions and
 * examples already are. Idempotent: every app built in a process shares it.
 */
export function registerComponents(): void {
  for (const [schema, id] of components()) {
    const meta = z.globalRegistry.get(schema);
    if (meta?.id === id) continue;
    const holder = z.globalRegistry._idmap.get(id);
    if (holder && holder !== schema) throw new Error(`the component name ${id} is taken by another schema`);
    z.globalRegistry.add(schema, { ...meta, id });
  }
}

// ---------------------------------------------------------------- per route


/** Bodies a handler reads itself, so Fastify never validates them; documented per content type. */
const HANDLER_READ_BODIES: Record<string, Record<string, z.ZodType>> = {
  'POST /v1/datasets': { 'application/json': JsonDatasetSchema },
  // Each file format's own operation documents the first content type the format lists.
  ...Object.fromEntries(
    DATASET_FORMATS.map((format) => [
      `POST /v1/datasets/${format.name}`,
      { [format.contentTypes[0] ?? 'application/octet-stream']: (format.text ? z.string() : z.file()).describe(format.description) },
    ]),
  ),
  'POST /v1/datasets/npy': {
    'multipart/form-data': z.object({
      name: z.string().optional().describe('dataset name (or ?name=)'),
      x: z.file().describe('.npy file: the samples'),
      y: z.file().describe('.npy file: the targets'),
    }),
  },
};

function describeStatus(status: string, schema: z.ZodType): string {
  const meta = z.globalRegistry.get(schema);
  return (meta?.id ? undefined : meta?.description) ?? STATUS_CODES[status] ?? status;
}

/** What each Server-Sent Events route streams: the JSON in an event's `data` line, for every event type it sends. */
const STREAMED_EVENTS: Record<string, z.ZodType> = {
  '/v1/jobs/:job/events': JobEventDataSchema,
  '/v1/sweeps/:sweep/events': SweepEventDataSchema,
};

function streamedResponse(url: string, produces: readonly string[]): { description: string; content: Record<string, { schema: z.ZodType }> } {
  const events = STREAMED_EVENTS[url];
  if (produces.includes('text/event-stream') && !events) throw new Error(`${url} streams events that the document does not describe`);
  const schema = events ?? z.file();
  const description = events ? (z.globalRegistry.get(events)?.description ?? 'Server-Sent Events') : 'OK';
  return { description, content: Object.fromEntries(produces.map((type) => [type, { schema }])) };
}

/**
 * fastify-type-provider-zod's transform, after adding what every route
 * shares (sharedResponses, in the API's error shape) and the responses of
 * routes that stream; the per-content-type bodies of routes that read their
 * own body are converted by the same transform.
 */
function routeTransform(): SwaggerTransform {
  const zodTransform = createJsonSchemaTransform({ skipList: [] });
  const shared = sharedResponses(ErrorResponseSchema);
  return (input) => {
    if (input.schema?.hide) return zodTransform(input);
    const schema = shared(input);
    const response = schema.response as Record<string, unknown>;
    if (schema.produces) {
      // `produces` names what the route streams; its errors are still JSON.
      for (const [status, body] of Object.entries(response)) {
        if (body instanceof z.ZodType) response[status] = { description: describeStatus(status, body), content: { 'application/json': { schema: body } } };
      }
      if (!Object.keys(response).some((status) => status.startsWith('2'))) response[200] = streamedResponse(input.url, schema.produces);
    }
    schema.response = Object.fromEntries(Object.entries(response).sort(([a], [b]) => a.localeCompare(b)));
    schema.tags ??= ['operations'];
    const result = zodTransform({ ...input, schema });

    const methods = [input.route.method].flat();
    const bodies = methods.map((method) => HANDLER_READ_BODIES[`${method} ${input.url}`]).find(Boolean);
    if (bodies) {
      const content = Object.fromEntries(
        Object.entries(bodies).map(([type, body]) => [type, { schema: zodTransform({ ...input, schema: { body } }).schema.body }]),
      );
      result.schema = { ...result.schema, body: { content } };
    }
    return result;
  };
}

// ---------------------------------------------------------------- plugin

const DESCRIPTION = `Train Keras-style neural networks over HTTP: define a model, point it at data, train it on queue workers, and query the trained versions.
Names follow Keras (layer types and arguments, losses, metrics, \`fit\` arguments, history keys). Every error has the shape of \`Error\`.`;

/** The OpenAPI 3.1 document at /openapi.json, generated from the routes' zod schemas, and Swagger UI at /docs. */
async function openapi(app: FastifyInstance): Promise<void> {
  registerComponents();
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'modelyard', version: packageVersion(), description: DESCRIPTION },
      servers: [{ url: 'http://localhost:8080', description: '`npm start` on its default PORT; an SDK client takes the address of yours' }],
      tags: [
        { name: 'models', description: 'model definitions' },
        { name: 'versions', description: 'trained versions and their artifacts' },
        { name: 'serving', description: 'predict, evaluate and look inside a trained version' },
        { name: 'jobs', description: 'training jobs' },
        { name: 'sweeps', description: 'hyperparameter sweeps: many training jobs over a search space, and the best of them' },
        { name: 'datasets', description: 'uploaded and built-in datasets' },
        { name: 'operations', description: 'health, readiness, this document' },
      ],
      components: {
        securitySchemes: API_KEY_SCHEME,
      },
    },
    transform: routeTransform(),
    transformObject: documentTransform,
  });
  await app.register(async (docs) => {
    publicScope(docs);
    await docs.register(swaggerUi, { routePrefix: '/docs' });
  });
  serveDocument(app);
}

export default fp(openapi, { name: 'openapi' });
