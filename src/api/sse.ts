import type { FastifyReply, FastifyRequest } from 'fastify';

const HEARTBEAT_MS = 15_000;

/** A reply taken over as a Server-Sent Events stream. */
export interface EventStream {
  readonly closed: boolean;
  /** Writes one event; after the stream has closed, does nothing. */
  send(event: string, data: unknown): void;
  close(): void;
  /** Runs `release` when the stream closes, or now if it already has. */
  onClose(release: () => Promise<void>): Promise<void>;
}

/**
 * Takes the reply over and opens an event stream on it, kept alive by a
 * comment line every 15 s, which closes when the client goes away.
 */
export function openEventStream(request: FastifyRequest, reply: FastifyReply): EventStream {
  const raw = reply.raw;
  let closed = false;
  let release: (() => Promise<void>) | undefined;
  reply.hijack();
  // Headers the hooks set so far (CORS, security, request id) go out with the stream.
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string | number | string[]>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  });
  const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
  const stream: EventStream = {
    get closed() {
      return closed;
    },
    send(event, data) {
      if (!closed) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      void release?.();
      raw.end();
    },
    async onClose(next) {
      if (closed) return next();
      release = next;
    },
  };
  request.raw.on('close', () => stream.close());
  return stream;
}
