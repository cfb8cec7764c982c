import { IncomingMessage, ServerResponse, type OutgoingHttpHeaders } from 'node:http';
import { Socket } from 'node:net';
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

export interface SecurityOptions {
  /** Origins browsers may call the API from; `*` any; empty: no CORS headers at all. */
  corsOrigins: string[];
}

/**
 * Helmet's headers, tuned for a JSON API whose one HTML page is Swagger UI at
 * /docs: its scripts, styles and the document it loads are all same-origin, so
 * `'self'` keeps it working. No page may frame the API. No
 * upgrade-insecure-requests: it would break /docs on a plain-HTTP deployment.
 */
const HELMET: HelmetOptions = {
  frameguard: { action: 'deny' },
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      baseUri: ["'self'"],
      connectSrc: ["'self'"],
      fontSrc: ["'self'", 'data:'],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      imgSrc: ["'self'", 'data:'],
      objectSrc: ["'none'"],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
    },
  },
};

/**
 * Helmet's headers for these options, computed once: they depend on nothing
 * in a request (no CSP nonces). @fastify/helmet builds them anew for every
 * request, which took an eighth of the API's CPU time under predict load.
 */
function helmetHeaders(options: HelmetOptions): OutgoingHttpHeaders {
  const request = new IncomingMessage(new Socket());
  const response = new ServerResponse(request);
  helmet(options)(request, response, (error?: unknown) => {
    if (error) throw error;
  });
  return response.getHeaders();
}

async function security(app: FastifyInstance, options: SecurityOptions): Promise<void> {
  const headers = helmetHeaders(HELMET);
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
  if (options.corsOrigins.length === 0) return;
  // Registered before auth, so a preflight (which carries no Authorization) is answered before any key check.
  await app.register(cors, {
    origin: options.corsOrigins.includes('*') ? '*' : options.corsOrigins,
    methods: ['GET', 'HEAD', 'POST', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'x-request-id'],
    exposedHeaders: ['x-request-id', 'retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
    maxAge: 600,
  });
}

export default fp(security, { name: 'security' });
