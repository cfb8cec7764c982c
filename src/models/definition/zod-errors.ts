import type { z } from 'zod';
import { ValidationError, formatPath, joinPath, type ErrorDetail } from '../../errors.js';

/** The same error with every path placed under `prefix`. */
export function prefixed(error: ValidationError, prefix: string): ValidationError {
  if (!prefix) return error;
  const details = error.details.map((d) => ({ path: joinPath(prefix, d.path), message: d.message }));
  return withDetails(details);
}

function withDetails(details: ErrorDetail[], suffix = ''): ValidationError {
  const [first] = details;
  const head = first ? (first.path ? `${first.path}: ${first.message}` : first.message) : 'invalid input';
  const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
  return new ValidationError(`${head}${suffix}${more}`, details.map((d) => ({ ...d, message: d.message + suffix })));
}

/**
 * zod's issues as details, with an unknown key reported at its own path and
 * named for the layer that does not take it.
 */
export function validationError(error: z.ZodError, input: unknown, prefix: string, suffix = ''): ValidationError {
  const details: ErrorDetail[] = [];
  for (const issue of error.issues.flatMap((i) => flattenUnion(i, []))) {
    if (issue.code === 'unrecognized_keys') {
      const owner = valueAt(input, issue.path) as { type?: unknown } | undefined;
      for (const key of issue.keys) {
        details.push({
          path: joinPath(prefix, formatPath([...issue.path, key])),
          message:
            typeof owner?.type === 'string' && issue.path.includes('layers')
              ? `${owner.type} has no argument "${key}"`
              : `unknown key "${key}"`,
        });
      }
    } else {
      details.push({ path: joinPath(prefix, formatPath(issue.path)), message: issue.message });
    }
  }
  return withDetails(details, suffix);
}

/**
 * A union (a name or an object, say) fails as a whole; when exactly one of
 * its options got past the top level, that option's own issues say more.
 */
function flattenUnion(issue: z.core.$ZodIssue, base: PropertyKey[]): z.core.$ZodIssue[] {
  const path = [...base, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const deeper = issue.errors.filter((branch) => branch.some((i) => i.path.length > 0));
    if (deeper.length === 1) return (deeper[0] as z.core.$ZodIssue[]).flatMap((i) => flattenUnion(i, path));
  }
  return [{ ...issue, path }];
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
