import { isIP } from 'node:net';
import { normalizeIP } from '@fastify/rate-limit';
import { LRUCache } from 'lru-cache';

interface Window {
  started: number;
  count: number;
}

/** As many clients as @fastify/rate-limit's own store remembers by default; the least recent are forgotten first. */
const CLIENTS_REMEMBERED = 5000;

/**
 * RATE_LIMIT_MAX requests per RATE_LIMIT_WINDOW_MS per client, counted as
 * @fastify/rate-limit counts them on the HTTP ports (a fixed window that
 * opens with a client's first request), for what that plugin cannot hook:
 * the gRPC service's calls.
 */
export class ClientRateLimit {
  private readonly windows = new LRUCache<string, Window>({ max: CLIENTS_REMEMBERED });

  constructor(
    readonly max: number,
    readonly windowMs: number,
  ) {}

  /** Counts one request of `client`: undefined while it is within the limit, else the milliseconds until its window ends. */
  take(client: string, now = Date.now()): number | undefined {
    let window = this.windows.get(client);
    if (!window || window.started + this.windowMs <= now) {
      window = { started: now, count: 0 };
      this.windows.set(client, window);
    }
    window.count += 1;
    return window.count > this.max ? window.started + this.windowMs - now : undefined;
  }
}

/**
 * The client a gRPC peer (`address:port`, as grpc-js gives it) is counted as:
 * its address, normalized as the HTTP limiter normalizes its key (an IPv6
 * client by its /64, an IPv4-mapped one as IPv4).
 */
export function clientOfPeer(peer: string): string {
  const address = peer.slice(0, peer.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1');
  return isIP(address) ? normalizeIP(address) : peer;
}
