import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { PayloadTooLargeError, ValidationError } from '../errors.js';

/** What a streamed upload came to. */
export interface StoredStream {
  bytes: number;
  /** sha256 of the bytes, hex. */
  sha256: string;
}

/** A file or folder directly under a key. */
export interface ArtifactEntry {
  name: string;
  /** The last time anything in it changed: for a folder, its newest file or folder at any depth. */
  modified: Date;
}

/**
 * Trained weights and uploaded data, by key (`models/mdl_x/job_y`). A key
 * holds one blob (`put`/`get`) or a folder of named files (`putFiles`,
 * `putStream`, `getFile`). Readers never see a half-written artifact.
 * Keys are `/`-separated segments of letters, digits, `.`, `_` and `-`, none
 * starting with a dot.
 */
export interface ArtifactStore {
  put(key: string, data: Uint8Array): Promise<void>;
  /** Replaces whatever is at `key` with exactly these files, all or nothing. */
  putFiles(key: string, files: Record<string, Uint8Array>): Promise<void>;
  /**
   * Streams `source` into the file `name` of the folder `key`, never holding
   * it whole; PayloadTooLargeError, and nothing stored, once more than
   * `maxBytes` arrive. The source is then left as it is, neither read on nor
   * destroyed: the caller answers and drains or closes it.
   */
  putStream(key: string, name: string, source: AsyncIterable<Uint8Array | string>, maxBytes: number): Promise<StoredStream>;
  get(key: string): Promise<Buffer>;
  getFile(key: string, name: string): Promise<Buffer>;
  /** A missing file shows as the stream's error; call `size` first to answer 404 before streaming. */
  createReadStream(key: string, name: string): Readable;
  /** The byte size of one file, for Content-Length. */
  size(key: string, name: string): Promise<number>;
  /** The names of the files in the folder `key`, sorted. */
  list(key: string): Promise<string[]>;
  /**
   * The files and folders directly under `key`, sorted by name, none when
   * nothing is there: what a sweep weighs against the records.
   */
  children(key: string): Promise<ArtifactEntry[]>;
  exists(key: string): Promise<boolean>;
  /** Removes the blob or folder at `key`; nothing to remove is no error. */
  delete(key: string): Promise<void>;
  /**
   * A short-lived URL a client can fetch one file of a folder from, without
   * the API in between; only stores that can sign one have it.
   */
  signedUrl?(key: string, name: string): Promise<string>;
}

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const MAX_KEY_LENGTH = 1024;

/** The segments of a valid key; ValidationError for `..`, absolute paths, hidden names and the like. */
export function keySegments(key: string): string[] {
  const segments = key.split('/');
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !segments.every((s) => SEGMENT.test(s))) {
    throw ValidationError.at('key', `'${key}' is not a valid artifact key`);
  }
  return segments;
}

/** Whether `name` can be one segment of a key. */
export function isSegment(name: string): boolean {
  return SEGMENT.test(name);
}

/** A file name inside a key's folder: one segment. */
export function checkName(name: string): string {
  if (!SEGMENT.test(name)) throw ValidationError.at('name', `'${name}' is not a valid artifact file name`);
  return name;
}

/** Passes an upload's chunks to `write`, counting and hashing them; past `maxBytes` it throws PayloadTooLargeError. */
export async function copyWithin(source: AsyncIterable<Uint8Array | string>, maxBytes: number, write: (chunk: Uint8Array) => Promise<unknown>): Promise<StoredStream> {
  const hash = createHash('sha256');
  let bytes = 0;
  // Not for-await: leaving that loop destroys the source, and an HTTP request destroyed
  // takes its socket along, before the handler could answer 413.
  const chunks = source[Symbol.asyncIterator]();
  for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    bytes += chunk.byteLength;
    if (bytes > maxBytes) throw new PayloadTooLargeError(`upload exceeds the limit of ${maxBytes} bytes`);
    hash.update(chunk);
    await write(chunk);
  }
  return { bytes, sha256: hash.digest('hex') };
}
