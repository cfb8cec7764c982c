import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, ValidationError, joinPath, type ErrorDetail } from '../../errors.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetail[] };
}

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

/** `/architecture/layers/2/units` (where zod found it, inside the body) → `architecture.layers[2].units`. */
function toPath(instancePath: string): string {
  return instancePath
    .split('/')
    .filter(Boolean)
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

function send(reply: FastifyReply, status: number, code: string, message: string, details?: ErrorDetail[]): FastifyReply {
  const body: ErrorBody = { error: { code, message, ...(details?.length ? { details } : {}) } };
  return reply.code(status).type('application/json').send(body);
}

/** The disk (or the quota) under DATA_DIR is full: the operator's problem, which a client may retry after. */
function isStorageFull(error: Error): boolean {
  return ['ENOSPC', 'EDQUOT'].some((code) => (error as { code?: unknown }).code === code || (error.cause as { code?: unknown } | undefined)?.code === code);
}

/** Redis being away is the one server-side failure a client should retry, not report. */
export function isRedisUnavailable(error: Error): boolean {
  return /ECONNREFUSED|Connection is closed|Stream isn't writeable|max retries per request|ENOTFOUND/i.test(error.message);
}

async function errors(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      // Body paths read as the body's own fields; params and querystring say which they are.
      const prefix = error.validationContext === 'body' ? '' : (error.validationContext ?? '');
      const invalid = ValidationError.of(
        error.validation.map((issue) => ({ path: joinPath(prefix, toPath(issue.instancePath)), message: issue.message ?? 'invalid' })),
      );
      return send(reply, 400, invalid.code, invalid.message, invalid.details);
    }
    if (error instanceof AppError) return send(reply, error.status, error.code, error.message, error.details);
    const status = error.statusCode;
    if (status && status >= 400 && status < 500) {
      // Fastify's own client errors: bad JSON, wrong content type, body too large, ...
      const code = status === 400 && error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? 'invalid_json' : (CODES[status] ?? 'bad_request');
      return send(reply, status, code, error.message);
    }
    if (isStorageFull(error)) {
      request.log.error({ err: error }, 'storage full');
      return send(reply, 507, 'insufficient_storage', 'the server has no room left to store this; retry later');
    }
    if (isRedisUnavailable(error)) {
      request.log.warn({ err: error }, 'redis unavailable');
      return send(reply, 503, 'unavailable', 'the registry (Redis) is unreachable; retry later');
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, 500, 'internal_error', 'internal error');
  });

  app.setNotFoundHandler((request, reply) => send(reply, 404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
}

export default fp(errors, { name: 'errors' });
