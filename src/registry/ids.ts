import { randomBytes } from 'node:crypto';

export const ID_PREFIXES = { model: 'mdl', dataset: 'ds', job: 'job', sweep: 'swp' } as const;
export type IdKind = keyof typeof ID_PREFIXES;

/** `mdl_3kT9xQ2bV0aZ`: a type prefix and 72 random bits, URL-safe. */
export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${randomBytes(9).toString('base64url')}`;
}

/** Whether `value` has the shape `newId(kind)` gives, so a caller may choose an id before the record exists. */
export function isId(kind: IdKind, value: string): boolean {
  return new RegExp(`^${ID_PREFIXES[kind]}_[A-Za-z0-9_-]{12}$`).test(value);
}
