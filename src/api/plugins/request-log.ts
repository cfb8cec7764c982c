import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { RequestProtocol } from '../../metrics.js';
import { tenantOf } from '../request-tenant.js';

/** The label of the request id on every line a request logs. */
export const REQUEST_ID_LOG_LABEL = 'request_id';

// A client's id is logged and echoed back, so only a short, plain token is taken as one.
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's request id when it is a plain token, else a fresh UUID; gRPC calls take theirs from the `x-request-id` metadata. */
export function requestIdFrom(given: unknown): string {
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
}

/** Fastify's genReqId: the client's X-Request-Id when it is a plain token, else a fresh UUID. */
export function requestIdOf(request: IncomingMessage): string {
  return requestIdFrom(request.headers['x-request-id']);
}

/** The protocol of a route on the API's port: the Open Inference Protocol's under /v2, else the API's own. */
export function apiProtocolOf(route: string): RequestProtocol {
  return route === '/v2' || route.startsWith('/v2/') ? 'v2' : 'v1';
}

/**
 * One JSON line per request, when its response is done: request id (a child
 * logger binding), protocol, method, route pattern, URL, status, duration,
 * and the tenant of its key, if any. Replaces
 * Fastify's two lines ("incoming request", "request completed"); headers are
 * never logged, so no Authorization value can reach the log.
 */
export class RequestLogController extends LogController {
  /** `protocolOf` names the protocol of a matched route's pattern; a request no route matched is its app's. */
  constructor(private readonly protocolOf: (route: string) => RequestProtocol) {
    super({ requestIdLogLabel: REQUEST_ID_LOG_LABEL });
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const tenant = tenantOf(request);
    const route = request.routeOptions.url ?? null;
    const line = {
      protocol: this.protocolOf(route ?? ''),
      method: request.method,
      route,
      url: request.url,
      status: reply.statusCode,
      duration_ms: Math.round(reply.elapsedTime * 100) / 100,
      ...(tenant ? { tenant } : {}),
      ...(error ? { err: error } : {}),
    };
    if (error || reply.statusCode >= 500) reply.log.error(line, 'request');
    else reply.log.info(line, 'request');
  }
}
