import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { datasetFromCsv } from '../../datasets/csv.js';
import { decodeNpy } from '../../datasets/npy.js';
import { datasetFromArrays, decodeNpz } from '../../datasets/npz.js';
import { checksumOf, describeDataset, encodeDataset } from '../../datasets/storage.js';
import type { Dataset } from '../../datasets/types.js';
import { ConflictError, ValidationError } from '../../errors.js';
import { newId } from '../../registry/ids.js';
import type { DatasetRecord } from '../../registry/records.js';
import type { AppDeps } from '../app.js';

/** Stores a parsed dataset in the compact form (.npy files) and records it. */
export async function storeDataset(deps: AppDeps, name: string, dataset: Dataset): Promise<DatasetRecord> {
  // Checked before writing files; the registry's own check still decides a race.
  if (await deps.registry.findDataset(name)) throw new ConflictError(`a dataset named '${name}' exists`);
  const id = newId('dataset');
  const files = encodeDataset(dataset);
  const artifact = `datasets/${id}`;
  await deps.store.putFiles(artifact, files);
  try {
    return await deps.registry.createDataset({ id, name, ...describeDataset(dataset), checksum: checksumOf(files), artifact });
  } catch (error) {
    await deps.store.delete(artifact);
    throw error;
  }
}

export async function deleteDataset(deps: AppDeps, idOrName: string): Promise<void> {
  const deleted = await deps.registry.deleteDataset(idOrName);
  await deps.store.delete(deleted.artifact);
}

/**
 * An upload streamed to a temporary file under the size limit (413 while it
 * streams, never buffered whole), read back, and removed.
 */
export async function receiveUpload(deps: AppDeps, source: Readable | AsyncIterable<Uint8Array>, maxBytes: number): Promise<Buffer> {
  const key = `uploads/${randomBytes(12).toString('hex')}`;
  try {
    await deps.store.putStream(key, 'upload', source, maxBytes);
    return await deps.store.getFile(key, 'upload');
  } finally {
    await deps.store.delete(key);
  }
}

export function parseCsvUpload(bytes: Uint8Array, name: string, target: string | undefined): Dataset {
  if (!target) throw ValidationError.at('target', 'give the label column(s): ?target=COLUMN (several: ?target=a,b)');
  return datasetFromCsv(bytes, { name, target: target.split(',').map((column) => column.trim()).filter(Boolean) });
}

export function parseNpzUpload(bytes: Uint8Array, maxBytes: number): Dataset {
  return datasetFromArrays(decodeNpz(bytes, { path: 'upload', maxBytes }), 'upload');
}

export function parseNpyPair(x: Uint8Array | undefined, y: Uint8Array | undefined): Dataset {
  if (!x || !y) throw ValidationError.at(x ? 'y' : 'x', 'multipart uploads need two .npy files, in fields named x and y');
  return datasetFromArrays({ x: decodeNpy(x, 'x'), y: decodeNpy(y, 'y') });
}

