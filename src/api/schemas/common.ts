import { z } from 'zod';
import { ERROR_CODES } from '../../errors.js';

/**
 * A JSON object returned as stored, and not described again in the document.
 * Responses are serialized through their schema, so a field a storage record
 * has and a response schema lacks never reaches a client.
 */
export const OpaqueObjectSchema = z.record(z.string(), z.unknown());

export const ErrorDetailSchema = z.object({ path: z.string(), message: z.string() });

export const ErrorResponseSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES).describe('machine-readable, for programs to switch on; `message` is for people'),
      message: z.string(),
      details: z.array(ErrorDetailSchema).optional(),
    }),
  })
  .describe('Every error, from every route, has this shape');

/** The error responses a route can give, for its OpenAPI document. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorResponseSchema> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorResponseSchema]));
}

/**
 * The longest name a model or dataset may have, as a model definition's own
 * `name` allows. A name is a path segment in every route that reads it, so
 * the app sets Fastify's maxParamLength to this too.
 */
export const MAX_NAME_LENGTH = 128;

export const ModelParamsSchema = z.object({
  model: z.string().min(1).describe('model id or unique name'),
});
