import { notFound } from './redis-record.js';

/** A tenant's name, as API_KEYS gives it: safe in Redis keys, logs and URLs. */
export const TENANT_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * Whose records a caller acts on: a tenant's name (a key with a tenant), which
 * sees that tenant's records only; or null (a key without a tenant, or no keys
 * configured), which sees every record. A record stores the tenant of the
 * caller that created it, so a record created with null belongs to no tenant.
 */
export type Tenant = string | null;

/** Models, datasets and jobs: each belongs to the tenant that created it, or to none. */
export interface Owned {
  tenant: string | null;
}

export function visibleTo(tenant: Tenant, record: Owned): boolean {
  return tenant === null || record.tenant === tenant;
}

/**
 * The record, when the tenant sees it; otherwise the very 404 of a record that
 * does not exist, so another tenant's ids and names stay hidden.
 */
export function ownedBy<T extends Owned>(tenant: Tenant, kind: string, idOrName: string, record: T | null): T {
  if (record && visibleTo(tenant, record)) return record;
  return notFound(kind, idOrName);
}
