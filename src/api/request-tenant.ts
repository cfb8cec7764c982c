import type { FastifyRequest } from 'fastify';
import type { Tenant } from '../registry/tenants.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth plugin from the request's key; read it through `tenantOf`. */
    tenant: Tenant;
  }
}

/**
 * The tenant a request acts for, from its API key: what a route scopes every
 * read to and stamps on every record it creates. Null with no keys configured
 * or a key without a tenant, which sees every tenant's records.
 */
export function tenantOf(request: FastifyRequest): Tenant {
  return request.tenant;
}
