/**
 * The framework's ceiling for the serving part: a bare Fastify server that
 * parses the same JSON request and answers a constant JSON of the same size
 * as the service's prediction, with no model, no Redis, no plugins.
 *
 *   node --import tsx bench/bare-server.ts RESPONSES.json   → prints {"port": N} once listening
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const path = process.argv[2];
if (!path) throw new Error('usage: bare-server.ts RESPONSES.json');
// Keyed by the number of instances the request carries.
const responses = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
app.post<{ Params: { instances: string } }>('/predict/:instances', async (request, reply) => {
  const response = responses[request.params.instances];
  if (response === undefined) return reply.code(404).send({ error: 'no such response' });
  return response;
});
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
