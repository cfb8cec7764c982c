import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import { z } from 'zod';

const ReadySchema = z.object({
  ready: z.boolean(),
  redis: z.enum(['up', 'down']),
  backend: z.string(),
  tensorflow_version: z.string().nullable(),
  shutting_down: z.boolean(),
});

/** A ping that answers false instead of waiting for a reconnect. */
export function pingWithin(redis: Redis, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    redis.ping().then(
      () => (clearTimeout(timer), resolve(true)),
      () => (clearTimeout(timer), resolve(false)),
    );
  });
}

export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get('/healthz', { config: { access: 'public' }, schema: { tags: ['operations'], operationId: 'getHealth', summary: 'The process lives', response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

  routes.get('/readyz', { config: { access: 'public' }, schema: { tags: ['operations'], operationId: 'getReadiness', summary: 'Ready to serve: Redis answers and the process is not shutting down; names the TensorFlow.js backend', response: { 200: ReadySchema, 503: ReadySchema } } }, async (_request, reply) => {
    const redisUp = await pingWithin(app.redis, 1000);
    const shuttingDown = app.lifecycle.shuttingDown;
    const ready = redisUp && !shuttingDown;
    return reply.code(ready ? 200 : 503).send({
      ready,
      redis: redisUp ? 'up' : 'down',
      backend: app.backend.name,
      tensorflow_version: app.backend.tensorflowVersion,
      shutting_down: shuttingDown,
    });
  });
}
