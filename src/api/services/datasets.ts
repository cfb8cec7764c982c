import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { decodeNpy } from '../../datasets/npy.js';
import { datasetFromArrays } from '../../datasets/npz.js';
import { checksumOf, describeDataset, encodeDataset } from '../../datasets/storage.js';
import type { Dataset } from '../../datasets/types.js';
import { ConflictError, ValidationError } from '../../errors.js';
import { UPLOADS_FOLDER, datasetArtifactsFolder } from '../../registry/artifact-layout.js';
import { newId } from '../../registry/ids.js';
import type { DatasetRecord } from '../../registry/records.js';

type Deps = Pick<FastifyInstance, 'datasets' | 'artifacts'>;

/** Stores a parsed dataset in the compact form (.npy files) and records it. */
export async function storeDataset(deps: Deps, name: string, dataset: Dataset): Promise<DatasetRecord> {
  // Checked before writing files; the registry's own check still decides a race.
  if (await deps.datasets.find(name)) throw new ConflictError(`a dataset named '${name}' exists`);
  const id = newId('dataset');
  const files = encodeDataset(dataset);
  const artifact = datasetArtifactsFolder(id);
  await deps.artifacts.putFiles(artifact, files);
  try {
    return await deps.datasets.create({ id, name, ...describeDataset(dataset), checksum: checksumOf(files), artifact });
  } catch (error) {
    await deps.artifacts.delete(artifact);
    throw error;
  }
}

export async function deleteDataset(deps: Deps, idOrName: string): Promise<void> {
  const deleted = await deps.datasets.delete(idOrName);
  await deps.artifacts.delete(deleted.artifact);
}

/**
 * An upload streamed to a temporary file under the size limit (413 while it
 * streams, never buffered whole), read back, and removed.
 */
export async function receiveUpload(deps: Deps, source: Readable | AsyncIterable<Uint8Array>, maxBytes: number): Promise<Buffer> {
  const key = `${UPLOADS_FOLDER}/${randomBytes(12).toString('hex')}`;
  try {
    await deps.artifacts.putStream(key, 'upload', source, maxBytes);
    return await deps.artifacts.getFile(key, 'upload');
  } finally {
    await deps.artifacts.delete(key);
  }
}

export function parseNpyPair(x: Uint8Array | undefined, y: Uint8Array | undefined): Dataset {
  if (!x || !y) throw ValidationError.at(x ? 'y' : 'x', 'multipart uploads need two .npy files, in fields named x and y');
  return datasetFromArrays({ x: decodeNpy(x, 'x'), y: decodeNpy(y, 'y') });
}

