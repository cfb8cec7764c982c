import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { NotFoundError } from '../errors.js';
import { checkName, copyWithin, isSegment, keySegments, type ArtifactEntry, type ArtifactStore, type StoredStream } from './artifacts.js';

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** ENOENT and friends as the NotFoundError a client gets; anything else as it came. */
function missing(error: unknown, what: string): never {
  const code = errorCode(error);
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') throw new NotFoundError(`artifact ${what} not found`);
  throw error;
}


/**
 * An ArtifactStore in a directory. Every write goes to `<root>/.tmp` (same
 * filesystem, out of reach of keys), is fsynced, and is renamed into place,
 * so after a crash a key holds the old artifact or the new one, never part of
 * one. Leftovers of a crash stay in `.tmp`, never under a key.
 */
export class FileArtifactStore implements ArtifactStore {
  private readonly tmp: string;

  constructor(readonly root: string) {
    this.tmp = join(root, '.tmp');
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const target = this.path(key);
    const temp = await this.tempPath();
    try {
      await writeSynced(temp, data);
      await this.moveIntoPlace(temp, target);
    } finally {
      await rm(temp, { force: true });
    }
  }

  async putFiles(key: string, files: Record<string, Uint8Array>): Promise<void> {
    const target = this.path(key);
    const names = Object.keys(files).map(checkName);
    const temp = await this.tempPath();
    try {
      await mkdir(temp);
      for (const name of names) await writeSynced(join(temp, name), files[name] as Uint8Array);
      await syncDir(temp);
      await this.moveIntoPlace(temp, target);
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }

  async putStream(key: string, name: string, source: AsyncIterable<Uint8Array | string>, maxBytes: number): Promise<StoredStream> {
    const folder = this.path(key);
    const target = join(folder, checkName(name));
    const temp = await this.tempPath();
    let stored: StoredStream;
    try {
      const file = await open(temp, 'wx');
      try {
        stored = await copyWithin(source, maxBytes, (chunk) => file.write(chunk));
        await file.sync();
      } finally {
        await file.close();
      }
      await mkdir(folder, { recursive: true });
      await rename(temp, target);
      await syncDir(folder);
    } finally {
      await rm(temp, { force: true });
    }
    return stored;
  }

  async get(key: string): Promise<Buffer> {
    return readFile(this.path(key)).catch((error: unknown) => missing(error, `'${key}'`));
  }

  async getFile(key: string, name: string): Promise<Buffer> {
    return readFile(join(this.path(key), checkName(name))).catch((error: unknown) => missing(error, `'${key}/${name}'`));
  }

  createReadStream(key: string, name: string): Readable {
    return createReadStream(join(this.path(key), checkName(name)));
  }

  async size(key: string, name: string): Promise<number> {
    const stats = await stat(join(this.path(key), checkName(name))).catch((error: unknown) => missing(error, `'${key}/${name}'`));
    if (!stats.isFile()) throw new NotFoundError(`artifact '${key}/${name}' not found`);
    return stats.size;
  }

  async list(key: string): Promise<string[]> {
    const entries = await readdir(this.path(key), { withFileTypes: true }).catch((error: unknown) => missing(error, `folder '${key}'`));
    return entries
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort();
  }

  async children(key: string): Promise<ArtifactEntry[]> {
    const folder = this.path(key);
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
    const entries: ArtifactEntry[] = [];
    // Names no key can address (the store's own `.tmp`) are the store's, not a key's.
    for (const name of names.filter(isSegment).sort()) entries.push({ name, modified: new Date(await newestChange(join(folder, name))) });
    return entries;
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.path(key));
      return true;
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    // Out of the key's place in one rename, so no reader finds it half removed.
    const trash = await this.tempPath();
    try {
      await rename(this.path(key), trash);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
      throw error;
    }
    await rm(trash, { recursive: true, force: true });
  }

  private path(key: string): string {
    return join(this.root, ...keySegments(key));
  }

  private async tempPath(): Promise<string> {
    await mkdir(this.tmp, { recursive: true });
    return join(this.tmp, randomUUID());
  }

  /**
   * Renames `temp` to `target`. A file replaces a file in one rename; a folder
   * cannot replace a folder that way, so the old one moves aside first and the
   * key is briefly empty, never mixed.
   */
  private async moveIntoPlace(temp: string, target: string): Promise<void> {
    const parent = dirname(target);
    await mkdir(parent, { recursive: true });
    try {
      await rename(temp, target);
    } catch (error) {
      const code = errorCode(error);
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EISDIR' && code !== 'ENOTDIR') throw error;
      const old = await this.tempPath();
      await rename(target, old);
      await rename(temp, target);
      await rm(old, { recursive: true, force: true });
    }
    await syncDir(parent);
  }
}

async function writeSynced(path: string, data: Uint8Array): Promise<void> {
  const file = await open(path, 'wx');
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
}

/**
 * The newest modification time in `path`, at any depth, in ms. Something that
 * vanishes during the walk is being changed: it counts as changed now.
 */
async function newestChange(path: string): Promise<number> {
  try {
    const stats = await stat(path);
    let newest = stats.mtimeMs;
    if (stats.isDirectory()) for (const name of await readdir(path)) newest = Math.max(newest, await newestChange(join(path, name)));
    return newest;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return Date.now();
    throw error;
  }
}

/** Makes a rename or a new entry in `dir` survive a power cut. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
