import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * GET /metrics in Prometheus's text format, outside /v1: no API key, no rate
 * limit, for scrapers. Every response is timed by its route pattern, never its
 * raw URL, so ids in paths do not multiply the series.
 */
async function metrics(app: FastifyInstance): Promise<void> {
  const { metrics } = app;
  metrics.observeApi({ jobs: app.jobs, queue: app.queue, cache: app.modelCache });
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.get('/metrics', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}

export default fp(metrics, { name: 'metrics', dependencies: ['services'] });
