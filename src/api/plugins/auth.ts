import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../errors.js';
import { requestAccess } from '../access.js';

export interface AuthOptions {
  keys: string[];
}

// Hashing first gives equal-length buffers, so the comparison's time says nothing about the key.
const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** With keys configured, every route that is not public needs `Authorization: Bearer KEY`. */
async function auth(app: FastifyInstance, options: AuthOptions): Promise<void> {
  if (options.keys.length === 0) return;
  const known = options.keys.map(digest);
  app.addHook('onRequest', async (request) => {
    if (requestAccess(request) === 'public') return;
    const header = request.headers.authorization;
    if (!header) {
      request.log.warn({ client: request.ip, reason: 'no key' }, 'authentication failed');
      throw new AppError(401, 'unauthorized', 'missing Authorization: Bearer <API key>');
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const presented = digest(match?.[1] ?? '');
    let ok = false;
    for (const key of known) ok = timingSafeEqual(key, presented) || ok;
    if (!match || !ok) {
      // The presented value is never logged: a mistyped key is most of a real one.
      request.log.warn({ client: request.ip, reason: match ? 'unknown key' : 'not a bearer token' }, 'authentication failed');
      throw new AppError(403, 'forbidden', 'the API key is not valid');
    }
  });
}

export default fp(auth, { name: 'auth' });
