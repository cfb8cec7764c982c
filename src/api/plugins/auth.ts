import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiKey } from '../../config.js';
import { AppError } from '../../errors.js';
import { requestAccess } from '../access.js';
import { keyChecker } from '../api-keys.js';
import '../request-tenant.js';

export interface AuthOptions {
  keys: ApiKey[];
}

/**
 * With keys configured, every route that is not public needs
 * `Authorization: Bearer KEY`, and the key's role must reach the route's
 * access: 401 without a key, 403 with a wrong one or one whose role falls short.
 * A key let through sets the request's tenant (`tenantOf`); with no keys every
 * request's tenant is null, and it sees every record.
 */
async function auth(app: FastifyInstance, options: AuthOptions): Promise<void> {
  app.decorateRequest('tenant', null);
  if (options.keys.length === 0) return;
  const check = keyChecker(options.keys);
  app.addHook('onRequest', async (request) => {
    const access = requestAccess(request);
    const verdict = check(request.headers.authorization, access);
    if (!verdict.refusal) {
      request.tenant = verdict.tenant;
      return;
    }
    const { refusal } = verdict;
    // The presented value is never logged: a mistyped key is most of a real one.
    if (refusal.role) request.log.warn({ client: request.ip, role: refusal.role, needs: access }, 'access denied');
    else request.log.warn({ client: request.ip, reason: refusal.reason }, 'authentication failed');
    throw new AppError(refusal.status, refusal.status === 401 ? 'unauthorized' : 'forbidden', refusal.message);
  });
}

export default fp(auth, { name: 'auth' });
