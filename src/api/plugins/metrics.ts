import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Server } from 'node:http';
import { serveMetrics, type RequestProtocol } from '../../metrics.js';
import { apiProtocolOf } from './request-log.js';

/**
 * Prometheus's text format: GET /metrics behind an admin key (model names
 * are in its labels), or, with METRICS_PORT set, on a listener of its own
 * that only a scraper's network should reach, and not on the API's port.
 * Every response is timed by its route pattern, never its raw URL, so ids
 * in paths do not multiply the series.
 */
async function metrics(app: FastifyInstance): Promise<void> {
  const { metrics, config } = app;
  metrics.observeApi({ jobs: app.jobs, queue: app.queue, cache: app.modelCache });
  timeResponses(app, apiProtocolOf);
  const port = config.METRICS_PORT;
  if (port === undefined) {
    app.get('/metrics', { config: { access: 'admin' }, schema: { hide: true } }, async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
    return;
  }
  let server: Server | undefined;
  app.addHook('onReady', async () => {
    server = await serveMetrics(metrics, port, config.HOST);
    app.log.info({ port }, 'metrics at /metrics');
  });
  app.addHook('onClose', async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });
}

/**
 * Times every response of `app` by its route pattern and the protocol it
 * speaks; a request no route matched counts under its app's protocol.
 */
export function timeResponses(app: FastifyInstance, protocolOf: (route: string) => RequestProtocol): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    app.metrics.httpDuration.observe(
      { method: request.method, route, status_code: String(reply.statusCode), protocol: protocolOf(route) },
      reply.elapsedTime / 1000,
    );
  });
}

export default fp(metrics, { name: 'metrics', dependencies: ['services'] });
