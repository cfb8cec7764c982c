import type { Logger } from 'pino';

export interface Periodic {
  /** The first run, started at once. */
  first: Promise<void>;
  /** No more runs; resolves once the one under way has ended. */
  stop: () => Promise<void>;
}

/**
 * `task` now and every `intervalMs`, one run at a time: a tick while a run is
 * under way starts none. A run that fails (Redis away) is logged as `what`
 * and the next one tries again.
 */
export function periodically(task: () => Promise<unknown>, intervalMs: number, logger: Logger, what: string): Periodic {
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= task()
      .then(
        () => undefined,
        (error: unknown) => logger.warn({ err: error }, `${what} failed; it runs again later`),
      )
      .finally(() => (running = undefined));
    return running;
  };
  const first = run();
  const timer = setInterval(run, intervalMs);
  return {
    first,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
