import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { publicScope } from '../access.js';

const require = createRequire(import.meta.url);

/** The same three levels up from src/api/plugins (tsx) and dist/api/plugins (the build). */
const DASHBOARD_ROOT = fileURLToPath(new URL('../../../dashboard/', import.meta.url));

/** The browser modules the dashboard imports, served from the installed packages: nothing comes from a CDN. */
const VENDOR = [
  { prefix: '/dashboard/vendor/uplot/', root: dirname(require.resolve('uplot')) },
  { prefix: '/dashboard/vendor/eventsource-parser/', root: dirname(require.resolve('eventsource-parser')) },
];

const BROWSER_FILES = /\.(js|css)$/;

/**
 * The dashboard: its page at `/`, its files under `/dashboard/`, each file
 * its own route (no wildcard), so any other path keeps the API's 404. It
 * speaks only the public API, so it is no part of the OpenAPI document.
 */
export default async function dashboard(app: FastifyInstance): Promise<void> {
  publicScope(app);
  await app.register(fastifyStatic, { root: DASHBOARD_ROOT, prefix: '/dashboard/', index: false, wildcard: false });
  for (const { prefix, root } of VENDOR) {
    await app.register(fastifyStatic, { root, prefix, decorateReply: false, index: false, wildcard: false, allowedPath: (path) => BROWSER_FILES.test(path) });
  }
  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.sendFile('index.html'));
}
