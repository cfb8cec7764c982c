import type { Worker } from 'bullmq';
import type { Logger } from 'pino';

/**
 * ioredis's statuses in which `disconnect` ends the client (and so emits `end`): it is connected,
 * or never connected, or already ended. Between two attempts to reconnect, it does neither.
 */
const ENDS_ON_DISCONNECT = ['ready', 'wait', 'end'];

type QueueWorker = Pick<Worker, 'pause' | 'close' | 'backend'>;

interface ClientEvents {
  status: string;
  once(event: string, listener: () => void): unknown;
  removeListener(event: string, listener: () => void): unknown;
}

/** Resolves true once `client` can be disconnected cleanly, or false after `timeoutMs`. */
async function disconnectable(client: ClientEvents, timeoutMs: number): Promise<boolean> {
  if (ENDS_ON_DISCONNECT.includes(client.status)) return true;
  return new Promise<boolean>((resolve) => {
    const ready = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      client.removeListener('ready', ready);
      resolve(ENDS_ON_DISCONNECT.includes(client.status));
    }, timeoutMs);
    client.once('ready', ready);
  });
}

/**
 * Closes a BullMQ worker, waiting for its running jobs as `Worker.close` does,
 * without hanging on a Redis that went away and came back. `close` interrupts
 * the worker's blocking command by disconnecting its blocking client and
 * waiting for that client's `end` event; ioredis emits none for a client caught
 * between two attempts to reconnect (it has no socket to close), so after a
 * Redis restart the close could wait forever (taskforcesh/bullmq#4656, still
 * open for BullMQ 6). So the worker stops taking jobs first, and its close
 * starts once the blocking client is connected again: within ioredis's retry
 * delay (2 s at most) of Redis coming back. When Redis stays away past
 * `reconnectWaitMs`, nothing can close the connection cleanly: that is logged,
 * and the close is still attempted (the process's own shutdown deadline bounds it).
 */
export async function closeQueueWorker(worker: QueueWorker, reconnectWaitMs: number, logger: Logger): Promise<void> {
  await worker.pause(true);
  const blocking = await worker.backend.blockingClient;
  if (blocking && !(await disconnectable(blocking, reconnectWaitMs))) {
    logger.warn({ waited_ms: reconnectWaitMs }, 'the queue worker\'s blocking Redis connection is still reconnecting; its close may not return before Redis does');
  }
  await worker.close();
}
