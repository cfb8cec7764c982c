import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

export interface WatchedUpload {
  status: number;
  body: unknown;
  /** /healthz answers in all, and those asked for once the whole body had been sent, so while the server parsed and stored it. */
  answers: number;
  answersWhileParsing: number;
  maxLatencyMs: number;
  /** The most this process's RSS (the service runs in it) grew over its RSS before the upload. */
  rssGrowthMb: number;
}

/**
 * Streams a file to the service as a request body and, until the response
 * comes, asks /healthz again and again (each must be a 200) and samples RSS.
 */
export async function uploadWatchingHealth(url: string, file: string, contentType: string): Promise<WatchedUpload> {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  let bodySent = false;
  const body = createReadStream(file, { highWaterMark: 1024 * 1024 });
  body.on('end', () => (bodySent = true));

  let done = false;
  const uploading = fetch(url, {
    method: 'POST',
    body: Readable.toWeb(body) as ReadableStream<Uint8Array>,
    headers: { 'content-type': contentType },
    duplex: 'half',
  } as RequestInit).finally(() => (done = true));

  let answersWhileParsing = 0;
  let answers = 0;
  let maxLatencyMs = 0;
  const health = new URL('/healthz', url);
  while (!done) {
    const startedAfterBody = bodySent;
    const started = performance.now();
    const response = await fetch(health);
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    maxLatencyMs = Math.max(maxLatencyMs, performance.now() - started);
    answers++;
    if (startedAfterBody && !done) answersWhileParsing++;
    peak = Math.max(peak, process.memoryUsage().rss);
    await sleep(5);
  }
  const response = await uploading;
  const answer: unknown = await response.json();
  peak = Math.max(peak, process.memoryUsage().rss);
  return { status: response.status, body: answer, answers, answersWhileParsing, maxLatencyMs, rssGrowthMb: (peak - baseline) / 2 ** 20 };
}
