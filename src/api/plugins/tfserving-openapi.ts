import swagger, { type SwaggerTransform } from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createJsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { API_KEY_SCHEME, documentTransform, packageVersion, serveDocument, sharedResponses } from '../openapi-document.js';
import { TfsErrorSchema, TfsModelParamsSchema, TfsVersionParamsSchema } from '../schemas/tfserving.js';
import { registerComponents } from './openapi.js';

/**
 * The predict routes as TensorFlow Serving spells them. The router takes
 * `{name}:predict` (or `{version}:predict`) as one parameter, `target`, and
 * the handler reads the verb off it; the document names the model and the
 * version, with the verb after them. (@fastify/swagger ends a parameter at
 * the colon and keeps the colon: `:name:predict` is written `{name}:predict`.)
 */
const PREDICT_PATHS: Record<string, { url: string; params: z.ZodType }> = {
  '/v1/models/:target': { url: '/v1/models/:name:predict', params: TfsModelParamsSchema },
  '/v1/models/:name/versions/:target': { url: '/v1/models/:name/versions/:version:predict', params: TfsVersionParamsSchema },
};

/** fastify-type-provider-zod's transform, after spelling the predict paths as TF Serving does and adding what every route shares, in TF Serving's error body. */
function routeTransform(): SwaggerTransform {
  const zodTransform = createJsonSchemaTransform({ skipList: [] });
  const shared = sharedResponses(TfsErrorSchema);
  return (input) => {
    const predict = PREDICT_PATHS[input.url];
    if (!predict && input.url.includes(':target')) throw new Error(`${input.url} takes a verb that the document does not spell`);
    const spelled = predict ? { ...input, url: predict.url, schema: { ...input.schema, params: predict.params } } : input;
    return zodTransform({ ...spelled, schema: shared(spelled) });
  };
}

const DESCRIPTION = `TensorFlow Serving's REST API (https://www.tensorflow.org/tfx/serving/api_rest), on its own port (TFSERVING_PORT, 8501 by default), so that its clients only change the host.
Every model has one signature, \`serving_default\`, with one input, \`input\`, and one output. Every error is TensorFlow Serving's \`{"error": "..."}\`.
The service's own API, with these models' training, is in the document at /openapi.json on its main port.`;

/**
 * The OpenAPI 3.1 document of the TF Serving port, at its /openapi.json, generated from its routes' zod
 * schemas. A document of its own: its paths and the main API's `/v1/models/{model}` are the same templates.
 */
async function tfservingOpenApi(app: FastifyInstance): Promise<void> {
  registerComponents();
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'modelyard: TensorFlow Serving REST API', version: packageVersion(), description: DESCRIPTION },
      servers: [{ url: 'http://localhost:8501', description: '`npm start` on its default TFSERVING_PORT; a client takes the address of yours' }],
      tags: [
        { name: 'status', description: "the state of a model's versions" },
        { name: 'metadata', description: "a version's signature: its input and output, with dtype and shape" },
        { name: 'predict', description: 'predictions from a trained version' },
        { name: 'operations', description: 'this document' },
      ],
      components: { securitySchemes: API_KEY_SCHEME },
    },
    transform: routeTransform(),
    transformObject: documentTransform,
  });
  serveDocument(app);
}

export default fp(tfservingOpenApi, { name: 'tfserving-openapi' });
