import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKey } from '../config.js';
import type { Tenant } from '../registry/tenants.js';
import { allows, type Access, type Role } from './access.js';

/** Why a credential was refused: the log's reason, and the status and message the caller gets. */
export interface KeyRefusal {
  status: 401 | 403;
  reason: 'no key' | 'not a bearer token' | 'unknown key' | 'role falls short';
  message: string;
  role?: Role;
}

/** A credential's verdict: refused, or let through acting for a tenant (null: every tenant, as with no keys configured). */
export type KeyVerdict = { refusal: KeyRefusal } | { refusal?: undefined; tenant: Tenant };

// Hashing first gives equal-length buffers, so the comparison's time says nothing about the key.
const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Judges an `Authorization` value against the configured keys for an access
 * level; the one check behind every protocol (HTTP hooks, gRPC metadata).
 * With no keys configured everything is allowed.
 */
export function keyChecker(keys: readonly ApiKey[]): (authorization: string | undefined, access: Access) => KeyVerdict {
  const known = keys.map(({ key, role, tenant }) => ({ digest: digest(key), role, tenant }));
  return (authorization, access) => {
    if (known.length === 0 || access === 'public') return { tenant: null };
    if (!authorization) return { refusal: { status: 401, reason: 'no key', message: 'missing Authorization: Bearer <API key>' } };
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    const presented = digest(match?.[1] ?? '');
    // Every key is compared, so the time taken does not say which one matched.
    let found: { role: Role; tenant: Tenant } | undefined;
    for (const key of known) if (timingSafeEqual(key.digest, presented)) found = key;
    if (!match || !found) return { refusal: { status: 403, reason: match ? 'unknown key' : 'not a bearer token', message: 'the API key is not valid' } };
    const { role, tenant } = found;
    if (!allows(role, access)) {
      return { refusal: { status: 403, reason: 'role falls short', role, message: `this API key's role (${role}) does not allow this operation; it needs ${access}` } };
    }
    return { tenant };
  };
}
