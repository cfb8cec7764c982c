import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { EncodedDataset } from '../../datasets/storage.js';
import type { UploadJob, UploadSource } from '../../datasets/upload.js';
import { ConflictError } from '../../errors.js';
import { UPLOADS_FOLDER, datasetArtifactsFolder } from '../../registry/artifact-layout.js';
import { newId } from '../../registry/ids.js';
import type { DatasetRecord } from '../../registry/records.js';
import type { Tenant } from '../../registry/tenants.js';
import { ownDataset } from './owned.js';
import { parseInThread } from './upload-parser.js';

type Deps = Pick<FastifyInstance, 'datasets' | 'artifacts'>;
type UploadDeps = Pick<FastifyInstance, 'artifacts' | 'config' | 'uploadSlots'>;

/**
 * Stores a dataset in its compact form (.npy files, encoded by `encodeForStore`) and records it as
 * the tenant's. Names are unique across tenants, as model names are.
 */
export async function storeEncoded(deps: Deps, tenant: Tenant, name: string, encoded: EncodedDataset): Promise<DatasetRecord> {
  // Checked before writing files; the registry's own check still decides a race.
  if (await deps.datasets.find(name)) throw new ConflictError(`a dataset named '${name}' exists`);
  const id = newId('dataset');
  const artifact = datasetArtifactsFolder(id);
  await deps.artifacts.putFiles(artifact, encoded.files);
  try {
    return await deps.datasets.create({ id, name, ...encoded.description, checksum: encoded.checksum, artifact, tenant });
  } catch (error) {
    await deps.artifacts.delete(artifact);
    throw error;
  }
}

export async function deleteDataset(deps: Deps, tenant: Tenant, idOrName: string): Promise<void> {
  const deleted = await deps.datasets.delete((await ownDataset(deps, tenant, idOrName)).id);
  await deps.artifacts.delete(deleted.artifact);
}

/** A folder of the artifact store for one request's uploaded files, removed once `use` settles. */
export async function withUploadFolder<T>(deps: UploadDeps, use: (folder: string) => Promise<T>): Promise<T> {
  const folder = `${UPLOADS_FOLDER}/${randomBytes(12).toString('hex')}`;
  try {
    return await use(folder);
  } finally {
    await deps.artifacts.delete(folder);
  }
}

/**
 * Streams one uploaded file into the upload folder under the size limit (413
 * while it streams, never buffered whole); its byte count.
 */
export async function receiveFile(
  deps: UploadDeps,
  folder: string,
  name: string,
  source: Readable | AsyncIterable<Uint8Array>,
  maxBytes: number,
): Promise<number> {
  return (await deps.artifacts.putStream(folder, name, source, maxBytes)).bytes;
}

/**
 * The files received into `folder`, decoded in a worker thread once one of the
 * UPLOAD_PARSE_CONCURRENCY slots is free, read from the store as the parser asks for them.
 */
export function parseUpload(deps: UploadDeps, folder: string, job: UploadJob): Promise<EncodedDataset> {
  return deps.uploadSlots.run(() =>
    parseInThread(job, (source: UploadSource) => deps.artifacts.createReadStream(folder, source), deps.config.UPLOAD_PARSE_MEMORY_MB),
  );
}
