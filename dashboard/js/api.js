import { createParser } from '/dashboard/vendor/eventsource-parser/index.js';
import { askForKey, currentKey } from './key.js';

/** The API's error shape `{"error": {code, message, details}}`, kept whole for the views that show details at their path. */
export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = error?.code ?? 'http_error';
    this.details = error?.details ?? [];
  }
}

const REASONS = {
  401: 'This service needs an API key. It is kept for this tab only.',
  403: 'That API key was not accepted. Enter another one.',
};

function headers(extra, body) {
  const all = { ...extra };
  const key = currentKey();
  if (key) all.authorization = `Bearer ${key}`;
  if (body !== undefined && !(body instanceof FormData) && !(body instanceof Blob) && !all['content-type']) all['content-type'] = 'application/json';
  return all;
}

function encode(body) {
  if (body === undefined || body instanceof FormData || body instanceof Blob || typeof body === 'string') return body;
  return JSON.stringify(body);
}

/** One authenticated request; asks for a key on 401/403 and tries again with it. */
async function send(method, path, body, extra = {}, signal) {
  for (;;) {
    const response = await fetch(path, { method, headers: headers(extra, body), body: encode(body), signal });
    if (response.status === 401 || response.status === 403) {
      await askForKey(REASONS[response.status]);
      continue;
    }
    return response;
  }
}

export async function api(method, path, body, extra) {
  const response = await send(method, path, body, extra);
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, parsed?.error);
  return parsed;
}

export const get = (path) => api('GET', path);
export const post = (path, body, extra) => api('POST', path, body, extra);

/**
 * Follows a Server-Sent Events stream through fetch rather than EventSource,
 * which cannot send the Authorization header. Resolves when the stream ends.
 */
export async function follow(path, onEvent, signal) {
  const response = await send('GET', path, undefined, { accept: 'text/event-stream' }, signal);
  if (!response.ok) throw new ApiError(response.status, (await response.json().catch(() => null))?.error);
  const parser = createParser({ onEvent: (event) => onEvent(event.event ?? 'message', JSON.parse(event.data)) });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    parser.feed(value);
  }
}

export const enc = encodeURIComponent;
