import type { JobEvent, JobRecord } from './records.js';

/** The `status` event for a job as it now stands: what SSE clients see on every change. */
export function jobStatusEvent(job: JobRecord): JobEvent {
  return { type: 'status', data: { status: job.status, version: job.version, error: job.error, progress: job.progress } };
}
