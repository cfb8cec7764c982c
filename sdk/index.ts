/**
 * modelyard's TypeScript SDK, generated from openapi.json by @hey-api/openapi-ts
 * (`npm run sdk`): one function per operation, named by its operationId, each
 * taking `{ client, path, query, body }` and giving `{ data, error, response }`
 * typed from the document.
 *
 * ```ts
 * const client = createClient({ baseUrl: 'http://localhost:8080', auth: apiKey });
 * const { data, error } = await createModel({ client, body: iris });
 * ```
 *
 * `auth` is sent as `Authorization: Bearer <key>`; it is needed only when the
 * server sets API_KEYS.
 */
export * from './generated/index.js';
export { createClient, createConfig, type Client, type Config } from './generated/client/index.js';
