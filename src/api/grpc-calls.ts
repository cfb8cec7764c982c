import * as grpc from '@grpc/grpc-js';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ApiKey } from '../config.js';
import { AppError } from '../errors.js';
import type { Tenant } from '../registry/tenants.js';
import type { Access } from './access.js';
import { keyChecker } from './api-keys.js';
import { ClientRateLimit, clientOfPeer } from './client-rate-limit.js';
import { isRedisUnavailable } from './plugins/errors.js';
import { REQUEST_ID_LOG_LABEL, requestIdFrom } from './plugins/request-log.js';

const STATUS_OF_HTTP: Record<number, grpc.status> = {
  400: grpc.status.INVALID_ARGUMENT,
  401: grpc.status.UNAUTHENTICATED,
  403: grpc.status.PERMISSION_DENIED,
  404: grpc.status.NOT_FOUND,
  413: grpc.status.RESOURCE_EXHAUSTED,
  429: grpc.status.RESOURCE_EXHAUSTED,
  503: grpc.status.UNAVAILABLE,
};

interface Outcome {
  code: grpc.status;
  details: string;
  /** The server's failure, not the client's: logged at error, as a 5xx is on the HTTP ports. */
  serverSide: boolean;
  trailers?: grpc.Metadata;
}

/** An error as the status the protocol's gRPC clients switch on; a model without a trained version is not ready, so UNAVAILABLE. */
function outcomeOf(error: unknown): Outcome {
  if (error instanceof AppError) {
    if (error.code === 'not_trained') return { code: grpc.status.UNAVAILABLE, details: error.message, serverSide: false };
    return { code: STATUS_OF_HTTP[error.status] ?? grpc.status.FAILED_PRECONDITION, details: error.message, serverSide: error.status >= 500 };
  }
  if (error instanceof Error && isRedisUnavailable(error)) return { code: grpc.status.UNAVAILABLE, details: 'the registry (Redis) is unreachable; retry later', serverSide: true };
  return { code: grpc.status.INTERNAL, details: 'internal error', serverSide: true };
}

export interface GrpcCallOptions {
  keys: ApiKey[];
  /** RATE_LIMIT_MAX and RATE_LIMIT_WINDOW_MS; a max of 0 turns the limit off. */
  rateLimit: { max: number; windowMs: number };
}

/** A unary RPC behind the call's checks; `handle` acts for the tenant of the call's key. */
export type UnaryHandler = <Request, Response>(access: Access, handle: (request: Request, tenant: Tenant) => Promise<Response>) => grpc.handleUnaryCall<Request, Response>;

/**
 * What the HTTP ports' hooks do for a request, done for each gRPC call: the
 * rate limit (counted before the key is checked, and only on calls that are
 * not public), the API key from the `authorization` metadata, the request id
 * from `x-request-id` (echoed back), one request log line and one observation
 * of the request duration histogram under `protocol="grpc"`.
 */
export function grpcCalls(app: Pick<FastifyInstance, 'log' | 'metrics'>, options: GrpcCallOptions): UnaryHandler {
  const check = keyChecker(options.keys);
  const limit = options.rateLimit.max > 0 ? new ClientRateLimit(options.rateLimit.max, options.rateLimit.windowMs) : undefined;

  /** The limit's or the key's refusal of the call, or the tenant it acts for. */
  function admit(call: grpc.ServerUnaryCall<unknown, unknown>, access: Access, log: FastifyBaseLogger): { refused: Outcome } | { refused?: undefined; tenant: Tenant } {
    if (access === 'public') return { tenant: null };
    const client = clientOfPeer(call.getPeer());
    const retryMs = limit?.take(client);
    if (retryMs !== undefined && limit) {
      const trailers = new grpc.Metadata();
      trailers.set('retry-after', String(Math.ceil(retryMs / 1000)));
      const details = `rate limit exceeded: ${limit.max} requests per ${limit.windowMs / 1000} s; retry in ${Math.ceil(retryMs / 1000)} s`;
      return { refused: { code: grpc.status.RESOURCE_EXHAUSTED, details, serverSide: false, trailers } };
    }
    const [authorization] = call.metadata.get('authorization');
    const verdict = check(typeof authorization === 'string' ? authorization : undefined, access);
    if (!verdict.refusal) return { tenant: verdict.tenant };
    const { refusal } = verdict;
    // The presented value is never logged: a mistyped key is most of a real one.
    if (refusal.role) log.warn({ client, role: refusal.role, needs: access }, 'access denied');
    else log.warn({ client, reason: refusal.reason }, 'authentication failed');
    return { refused: { code: refusal.status === 401 ? grpc.status.UNAUTHENTICATED : grpc.status.PERMISSION_DENIED, details: refusal.message, serverSide: false } };
  }

  return <Request, Response>(access: Access, handle: (request: Request, tenant: Tenant) => Promise<Response>): grpc.handleUnaryCall<Request, Response> =>
    (call, callback) => {
      const started = performance.now();
      const requestId = requestIdFrom(call.metadata.get('x-request-id')[0]);
      const log = app.log.child({ [REQUEST_ID_LOG_LABEL]: requestId });
      const initial = new grpc.Metadata();
      initial.set('x-request-id', requestId);
      call.sendMetadata(initial);
      const admitted = admit(call, access, log);
      const tenant = admitted.refused ? null : admitted.tenant;
      const finish = (outcome: Outcome, response?: Response, error?: unknown): void => {
        if (outcome.code === grpc.status.OK) callback(null, response);
        else callback({ code: outcome.code, details: outcome.details, ...(outcome.trailers ? { metadata: outcome.trailers } : {}) });
        const durationMs = performance.now() - started;
        const route = call.getPath();
        const status = grpc.status[outcome.code];
        app.metrics.httpDuration.observe({ method: 'POST', route, status_code: status, protocol: 'grpc' }, durationMs / 1000);
        const line = {
          protocol: 'grpc',
          method: 'POST',
          route,
          status,
          duration_ms: Math.round(durationMs * 100) / 100,
          ...(tenant ? { tenant } : {}),
          ...(outcome.serverSide && error ? { err: error } : {}),
        };
        if (outcome.serverSide) log.error(line, 'request');
        else log.info(line, 'request');
      };

      if (admitted.refused) return finish(admitted.refused);
      handle(call.request, admitted.tenant).then(
        (response) => finish({ code: grpc.status.OK, details: '', serverSide: false }, response),
        (error: unknown) => finish(outcomeOf(error), undefined, error),
      );
    };
}
