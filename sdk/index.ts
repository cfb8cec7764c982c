import createFetchClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './generated/schema.js';

export type { components, paths };
/** The document's named schemas: `Schemas['CreateModel']`, `Schemas['Job']`, `Schemas['DenseLayer']`, ... */
export type Schemas = components['schemas'];
export type ModelyardClient = Client<paths>;

export interface ModelyardClientOptions extends ClientOptions {
  /** Sent as `Authorization: Bearer <apiKey>`; needed when the server sets API_KEYS. */
  apiKey?: string;
}

/**
 * A typed client for a modelyard server, generated from its OpenAPI document:
 * `await client.POST('/v1/models', { body })` gives `{ data }` typed as the
 * stored model, or `{ error }` typed as the error shape.
 */
export function createClient(baseUrl: string, options: ModelyardClientOptions = {}): ModelyardClient {
  const { apiKey, ...rest } = options;
  const client = createFetchClient<paths>({ ...rest, baseUrl });
  if (apiKey) {
    client.use({
      onRequest({ request }) {
        request.headers.set('authorization', `Bearer ${apiKey}`);
        return request;
      },
    });
  }
  return client;
}
