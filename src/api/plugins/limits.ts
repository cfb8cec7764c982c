import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, type ErrorCode } from '../../errors.js';

export interface LimitsOptions {
  /** Deepest JSON body accepted, counting each object and array. */
  maxJsonDepth: number;
}

const isContainer = (value: unknown): value is object => typeof value === 'object' && value !== null;

/**
 * Whether a parsed JSON value nests deeper than `max`. A loop with its own
 * stack, not recursion: the point is to refuse, before any recursive code
 * (the schemas, their error messages) sees it, a body nested deeper than
 * the call stack.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const pending: { node: object; depth: number }[] = isContainer(value) ? [{ node: value, depth: 1 }] : [];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (next.depth > max) return true;
    // An array is walked as it is: a dataset's rows are long, and Object.values would copy each.
    const children: readonly unknown[] = Array.isArray(next.node) ? next.node : Object.values(next.node);
    for (const child of children) if (isContainer(child)) pending.push({ node: child, depth: next.depth + 1 });
  }
  return false;
}

/** JSON bodies (parsed objects and arrays, not upload streams) deeper than the limit get a 400 before validation. */
async function limits(app: FastifyInstance, options: LimitsOptions): Promise<void> {
  app.addHook('preValidation', async (request) => {
    const { body } = request;
    if (!Array.isArray(body) && !(isContainer(body) && Object.getPrototypeOf(body) === Object.prototype)) return;
    if (nestsDeeperThan(body, options.maxJsonDepth)) {
      throw new AppError(400, 'nesting_too_deep', `the body nests objects and arrays more than ${options.maxJsonDepth} levels deep (MAX_JSON_DEPTH)`);
    }
  });
}

export default fp(limits, { name: 'limits' });

function errorJson(code: ErrorCode, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

/**
 * Fastify's `frameworkErrors`: a path the router cannot decode (a bad
 * percent escape) or a path parameter past its length, in the error shape
 * instead of Fastify's own.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const [status, code, message]: [number, ErrorCode, string] =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? [414, 'uri_too_long', 'a path segment is longer than any name or id the API stores']
      : error.code === 'FST_ERR_BAD_URL'
        ? [400, 'bad_url', 'the path has an invalid percent-escape']
        : [400, 'bad_request', 'the request cannot be routed'];
  void reply.code(status).type('application/json').send(errorJson(code, message));
}

/** What Node's HTTP parser refuses before any route sees it, by Node's error code. */
const CLIENT_ERRORS: Record<string, [number, ErrorCode, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'header_too_large', 'the request line and headers are larger than MAX_HEADER_BYTES'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'the request was not received within REQUEST_TIMEOUT_MS'],
};

/**
 * Fastify's `clientErrorHandler`: answers on the raw socket (there is no
 * request to reply to) in the error shape, then closes it.
 */
export function clientErrorHandler(error: ConnectionError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] = CLIENT_ERRORS[error.code] ?? [400, 'bad_request', 'the request is not valid HTTP'];
  const body = errorJson(code, message);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
