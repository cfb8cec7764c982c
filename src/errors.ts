import type { ZodError } from 'zod';

/**
 * Every `error.code` the API answers with; the OpenAPI document lists them as
 * the code's enum, so SDKs can switch on them.
 */
export const ERROR_CODES = [
  'bad_request',
  'bad_url',
  'invalid_json',
  'invalid_multipart',
  'nesting_too_deep',
  'validation_error',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'not_acceptable',
  'conflict',
  'not_trained',
  'payload_too_large',
  'uri_too_long',
  'header_too_large',
  'request_timeout',
  'unsupported_media_type',
  'rate_limited',
  'internal_error',
  'insufficient_storage',
  'unavailable',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** One problem with a request, at a path such as `architecture.layers[2].units`. */
export interface ErrorDetail {
  path: string;
  message: string;
}

/** How much of one bad value a message quotes, and how long a whole message may grow. */
const EXCERPT_CHARS = 48;
const MESSAGE_CHARS = 1000;
// A quoted value longer than an excerpt; a run without spaces longer than any name or id (a stray key, a path segment).
const LONG_QUOTE = new RegExp(`"((?:[^"\\\\]|\\\\.){${EXCERPT_CHARS + 16},})"`, 'g');
const LONG_RUN = /[^\s."'/[\]]{129,}/g;

/**
 * A message as a client gets it: whatever a request sent, a value it quotes
 * is cut to its start, so an error never echoes a megabyte back (nor fills the
 * log with it).
 */
export function brief(text: string): string {
  const cut = text.replace(LONG_QUOTE, (_match, inner: string) => `"${inner.slice(0, EXCERPT_CHARS)}…"`).replace(LONG_RUN, (run) => `${run.slice(0, EXCERPT_CHARS)}…`);
  return cut.length > MESSAGE_CHARS ? `${cut.slice(0, MESSAGE_CHARS)}…` : cut;
}

/**
 * An error a client can act on. The API turns it into
 * `{"error": {"code", "message", "details"}}` with `status`; anything else is a 500.
 */
export class AppError extends Error {
  readonly details: ErrorDetail[];

  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    details: ErrorDetail[] = [],
  ) {
    super(brief(message));
    this.name = new.target.name;
    this.details = details.map((detail) => ({ path: brief(detail.path), message: brief(detail.message) }));
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super(400, 'validation_error', message, details);
  }

  /** One detail, and a message that repeats it, as clients read the message first. */
  static at(path: string, message: string): ValidationError {
    return ValidationError.of([{ path, message }]);
  }

  /** Several details; the message names the first and counts the rest. */
  static of(details: ErrorDetail[]): ValidationError {
    const [first] = details;
    if (!first) return new ValidationError('invalid input');
    const head = first.path ? `${first.path}: ${first.message}` : first.message;
    return new ValidationError(details.length > 1 ? `${head} (and ${details.length - 1} more)` : head, details);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super(404, 'not_found', message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super(409, 'conflict', message);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message: string) {
    super(413, 'payload_too_large', message);
  }
}

/** `['architecture', 'layers', 2, 'units']` → `architecture.layers[2].units`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

export function joinPath(prefix: string, path: string): string {
  if (!prefix) return path;
  if (!path) return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

/** A zod failure as a ValidationError; `prefix` places it inside a larger request. */
export function fromZodError(error: ZodError, prefix = ''): ValidationError {
  return ValidationError.of(
    error.issues.map((issue) => ({ path: joinPath(prefix, formatPath(issue.path)), message: issue.message })),
  );
}
