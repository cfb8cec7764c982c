import { AppError } from '../../errors.js';

interface Waiter {
  grant(): void;
  timer: NodeJS.Timeout;
}

/**
 * At most `size` uploads parsed at once: each parse is a worker thread with a
 * heap of its own, so without a cap, concurrent uploads would multiply the
 * API's memory. The rest wait in order of arrival, each at most `waitMs`, and
 * one that waits longer is a 503: its file is already received, so a client
 * that retries later costs nothing meanwhile.
 */
export class UploadSlots {
  private busy = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    readonly size: number,
    private readonly waitMs: number,
  ) {}

  /** Runs `work` once a slot is free, holding the slot until it settles. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  /** Parses running now and uploads waiting for a slot. */
  get load(): { running: number; waiting: number } {
    return { running: this.busy, waiting: this.waiting.length };
  }

  private acquire(): Promise<void> {
    if (this.busy < this.size) {
      this.busy += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        // The slot passes straight from the releasing parse to this one: `busy` stays as it is.
        grant: () => {
          clearTimeout(waiter.timer);
          resolve();
        },
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          reject(
            new AppError(
              503,
              'unavailable',
              `every upload parser is busy (UPLOAD_PARSE_CONCURRENCY=${this.size}) and this upload waited ${this.waitMs} ms for one; retry later`,
            ),
          );
        }, this.waitMs),
      };
      this.waiting.push(waiter);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next.grant();
    else this.busy -= 1;
  }
}
