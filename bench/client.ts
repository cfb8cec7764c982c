import type { JobRecord } from '../src/jobs/record.js';

export interface Reply<T> {
  status: number;
  body: T;
}

/** The service over HTTP, as a client sees it. */
export class ServiceClient {
  constructor(readonly url: string) {}

  async request<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Reply<T>> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': contentType },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  }

  /** A GET whose body is text (Prometheus metrics): the text, or null when the path is not served. */
  async text(path: string): Promise<string | null> {
    const response = await fetch(`${this.url}${path}`);
    const text = await response.text();
    return response.status === 200 ? text : null;
  }

  /** The request, which must answer `expected`; anything else is a broken run, reported with the service's error. */
  async expect<T>(expected: number, method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const reply = await this.request<T>(method, path, body, contentType);
    if (reply.status !== expected) {
      throw new Error(`${method} ${path} answered ${reply.status}, expected ${expected}: ${JSON.stringify(reply.body).slice(0, 2000)}`);
    }
    return reply.body;
  }

  submitJob(job: unknown): Promise<JobRecord> {
    return this.expect<JobRecord>(202, 'POST', '/v1/jobs', job);
  }

  /**
   * Waits for a job to end by following its Server-Sent Events (no polling that
   * would take CPU from the worker in the same process); returns its record.
   */
  async waitForJob(id: string, timeoutMs = 3_600_000): Promise<JobRecord> {
    const response = await fetch(`${this.url}/v1/jobs/${id}/events`, { signal: AbortSignal.timeout(timeoutMs) });
    if (response.status !== 200) throw new Error(`GET /v1/jobs/${id}/events answered ${response.status}`);
    // The stream closes after the final status event; its content is not needed, only its end.
    await response.text();
    const job = await this.expect<JobRecord>(200, 'GET', `/v1/jobs/${id}`);
    if (job.status === 'queued' || job.status === 'running') throw new Error(`job ${id}: its event stream ended while it is ${job.status}`);
    return job;
  }

  /** Submits a job and waits for it; anything but `completed` is a broken run. */
  async train(job: unknown): Promise<{ record: JobRecord; submitToCompletedMs: number }> {
    const started = performance.now();
    const submitted = await this.submitJob(job);
    const record = await this.waitForJob(submitted.id);
    const submitToCompletedMs = performance.now() - started;
    if (record.status !== 'completed') throw new Error(`job ${record.id} ended ${record.status}: ${JSON.stringify(record.error)}`);
    return { record, submitToCompletedMs };
  }
}

/** Milliseconds between two of a record's ISO timestamps. */
export function between(from: string | null, to: string | null): number {
  if (!from || !to) throw new Error(`a job record lacks a timestamp (${from} → ${to})`);
  return Date.parse(to) - Date.parse(from);
}

/** The last value of every history list: the final epoch's logs. */
export function finalMetrics(history: Record<string, (number | null)[]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, values] of Object.entries(history)) {
    const last = values.at(-1);
    if (typeof last === 'number') out[key] = last;
  }
  return out;
}
