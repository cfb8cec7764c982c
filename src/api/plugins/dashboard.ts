import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const require = createRequire(import.meta.url);

/** The same three levels up from src/api/plugins (tsx) and dist/api/plugins (the build). */
const DASHBOARD_ROOT = fileURLToPath(new URL('../../../dashboard/', import.meta.url));

/** The browser modules the dashboard imports, served from the installed packages: nothing comes from a CDN. */
const VENDOR = [
  { prefix: '/vendor/uplot/', root: dirname(require.resolve('uplot')) },
  { prefix: '/vendor/eventsource-parser/', root: dirname(require.resolve('eventsource-parser')) },
];

/**
 * The dashboard at `/`: static files that speak only the public API. Each file
 * gets its own route (no wildcard), so unknown paths keep the API's 404.
 */
export default async function dashboard(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: DASHBOARD_ROOT, prefix: '/', wildcard: false, decorateReply: false });
  for (const { prefix, root } of VENDOR) {
    await app.register(fastifyStatic, { root, prefix, wildcard: false, decorateReply: false, allowedPath: (path) => /\.(js|css)$/.test(path) });
  }
}
