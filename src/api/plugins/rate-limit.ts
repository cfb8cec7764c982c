import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../errors.js';
import { requestAccess } from '../access.js';

export interface RateLimitOptions {
  /** Requests per window per client address; 0 turns the limit off. */
  max: number;
  windowMs: number;
}

/**
 * Limits every route that is not public per client address; health checks
 * stay unlimited for probes. Its hook is the app's,
 * registered before auth's, so a request is counted before its key is
 * checked: wrong-key guesses spend the same budget as any other request.
 */
async function limit(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  if (options.max === 0) return;
  await app.register(rateLimit, {
    global: false,
    max: options.max,
    timeWindow: options.windowMs,
    errorResponseBuilder: (_request, context) =>
      new AppError(429, 'rate_limited', `rate limit exceeded: ${context.max} requests per ${context.after}; retry later`),
  });
  const limiter = app.rateLimit();
  app.addHook('onRequest', async (request, reply) => {
    if (requestAccess(request) !== 'public') await limiter.call(app, request, reply);
  });
}

export default fp(limit, { name: 'rate-limit' });
