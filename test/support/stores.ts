import { createRedisStores, type Stores } from '../../src/registry/stores.js';
import { useTestRedis, type TestRedis } from './redis.js';

/** Redis for one test file, and the stores its tests open on it. */
export interface TestStores {
  redis: TestRedis;
  /** A key prefix under the file's that no other call gives. */
  newPrefix(): string;
  /** Stores under `prefix`, by default a new one, so that a test sees only its own records. */
  open(options?: { prefix?: string; onError?: (error: unknown) => void }): Stores;
  /** Closes every store opened and deletes the file's keys. */
  cleanup(): Promise<void>;
}

export async function useTestStores(): Promise<TestStores> {
  const redis = await useTestRedis();
  const opened: Stores[] = [];
  let n = 0;
  const newPrefix = () => `${redis.prefix}:${n++}`;
  return {
    redis,
    newPrefix,
    open({ prefix = newPrefix(), onError } = {}) {
      const stores = createRedisStores({ redis: redis.client, prefix, ...(onError ? { onError } : {}) });
      opened.push(stores);
      return stores;
    },
    async cleanup() {
      for (const stores of opened) await stores.close();
      await redis.cleanup();
    },
  };
}
