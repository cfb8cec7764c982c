import { z } from 'zod';

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
      code: z.string().describe('machine-readable: validation_error, not_found, conflict, ...'),
      message: z.string(),
      details: z.array(ErrorDetailSchema).optional(),
    }),
  })
  .describe('Every error, from every route, has this shape');

/** The error responses a route can give, for its OpenAPI document. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorResponseSchema> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorResponseSchema]));
}

export const ModelParamsSchema = z.object({
  model: z.string().min(1).describe('model id or unique name'),
});
