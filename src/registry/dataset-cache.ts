import type { Readable } from 'node:stream';
import { DATASETS_FOLDER } from './artifact-layout.js';
import type { ArtifactEntry, ArtifactStore, StoredStream } from './artifacts.js';

/**
 * The store, with the files of stored datasets kept in memory once read, up
 * to `maxBytes`, the least recently used dropped first: a worker that trains
 * on one dataset again and again fetches it from the bucket once. A stored
 * dataset's files never change under its id (a new upload is a new id), so
 * a worker may keep them without asking the bucket; its own writes and
 * deletes under a dataset drop what it kept.
 */
export class DatasetCachingStore implements ArtifactStore {
  private readonly kept = new Map<string, Buffer>();
  private keptBytes = 0;
  readonly signedUrl?: (key: string, name: string) => Promise<string>;

  constructor(
    private readonly store: ArtifactStore,
    private readonly maxBytes: number,
  ) {
    const { signedUrl } = store;
    if (signedUrl) this.signedUrl = (key, name) => signedUrl.call(store, key, name);
  }

  /** Bytes held now: never more than `maxBytes`. */
  get bytes(): number {
    return this.keptBytes;
  }

  async getFile(key: string, name: string): Promise<Buffer> {
    if (!key.startsWith(`${DATASETS_FOLDER}/`)) return this.store.getFile(key, name);
    const id = `${key}/${name}`;
    const hit = this.kept.get(id);
    if (hit) {
      // Map order is insertion order: moving a hit to the end keeps the oldest first.
      this.kept.delete(id);
      this.kept.set(id, hit);
      return hit;
    }
    const data = await this.store.getFile(key, name);
    if (data.byteLength <= this.maxBytes) {
      this.forget(id);
      this.kept.set(id, data);
      this.keptBytes += data.byteLength;
      for (const [oldest, held] of this.kept) {
        if (this.keptBytes <= this.maxBytes) break;
        this.kept.delete(oldest);
        this.keptBytes -= held.byteLength;
      }
    }
    return data;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    this.forgetUnder(key);
    await this.store.put(key, data);
  }

  async putFiles(key: string, files: Record<string, Uint8Array>): Promise<void> {
    this.forgetUnder(key);
    await this.store.putFiles(key, files);
  }

  async putStream(key: string, name: string, source: AsyncIterable<Uint8Array | string>, maxBytes: number): Promise<StoredStream> {
    this.forgetUnder(key);
    return this.store.putStream(key, name, source, maxBytes);
  }

  async delete(key: string): Promise<void> {
    this.forgetUnder(key);
    await this.store.delete(key);
  }

  get(key: string): Promise<Buffer> {
    return this.store.get(key);
  }

  createReadStream(key: string, name: string): Readable {
    return this.store.createReadStream(key, name);
  }

  size(key: string, name: string): Promise<number> {
    return this.store.size(key, name);
  }

  list(key: string): Promise<string[]> {
    return this.store.list(key);
  }

  children(key: string): Promise<ArtifactEntry[]> {
    return this.store.children(key);
  }

  exists(key: string): Promise<boolean> {
    return this.store.exists(key);
  }

  private forget(id: string): void {
    const held = this.kept.get(id);
    if (!held) return;
    this.kept.delete(id);
    this.keptBytes -= held.byteLength;
  }

  private forgetUnder(key: string): void {
    for (const id of [...this.kept.keys()]) if (id.startsWith(`${key}/`)) this.forget(id);
  }
}

/** What a worker reads datasets through: a local store needs no cache, nor does a cache of 0 bytes. */
export function withDatasetCache(store: ArtifactStore, maxBytes: number, local: boolean): ArtifactStore {
  return local || maxBytes === 0 ? store : new DatasetCachingStore(store, maxBytes);
}
