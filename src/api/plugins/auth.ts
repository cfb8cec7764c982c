import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiKey } from '../../config.js';
import { AppError } from '../../errors.js';
import { allows, requestAccess, type Role } from '../access.js';

export interface AuthOptions {
  keys: ApiKey[];
}

// Hashing first gives equal-length buffers, so the comparison's time says nothing about the key.
const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * With keys configured, every route that is not public needs
 * `Authorization: Bearer KEY`, and the key's role must reach the route's
 * access: 401 without a key, 403 with a wrong one or one whose role falls short.
 */
async function auth(app: FastifyInstance, options: AuthOptions): Promise<void> {
  if (options.keys.length === 0) return;
  const known = options.keys.map(({ key, role }) => ({ digest: digest(key), role }));
  app.addHook('onRequest', async (request) => {
    const access = requestAccess(request);
    if (access === 'public') return;
    const header = request.headers.authorization;
    if (!header) {
      request.log.warn({ client: request.ip, reason: 'no key' }, 'authentication failed');
      throw new AppError(401, 'unauthorized', 'missing Authorization: Bearer <API key>');
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const presented = digest(match?.[1] ?? '');
    // Every key is compared, so the time taken does not say which one matched.
    let role: Role | undefined;
    for (const key of known) if (timingSafeEqual(key.digest, presented)) role = key.role;
    if (!match || !role) {
      // The presented value is never logged: a mistyped key is most of a real one.
      request.log.warn({ client: request.ip, reason: match ? 'unknown key' : 'not a bearer token' }, 'authentication failed');
      throw new AppError(403, 'forbidden', 'the API key is not valid');
    }
    if (!allows(role, access)) {
      request.log.warn({ client: request.ip, role, needs: access }, 'access denied');
      throw new AppError(403, 'forbidden', `this API key's role (${role}) does not allow this operation; it needs ${access}`);
    }
  });
}

export default fp(auth, { name: 'auth' });
