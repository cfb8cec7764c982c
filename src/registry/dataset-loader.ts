import { loadBuiltin } from '../datasets/builtins.js';
import { inlineDataset, type DatasetRef, type StoredDatasetRef } from '../datasets/ref.js';
import { decodeDataset } from '../datasets/storage.js';
import type { Dataset } from '../datasets/types.js';
import type { ArtifactStore } from './artifacts.js';
import type { DatasetStore } from './dataset-store.js';

export interface DatasetSources {
  datasets: Pick<DatasetStore, 'get'>;
  artifacts: ArtifactStore;
}

/** The arrays behind any dataset reference: a client's, or the form a job keeps. */
export async function loadDataset(sources: DatasetSources, ref: DatasetRef | StoredDatasetRef): Promise<Dataset> {
  if ('kind' in ref) {
    switch (ref.kind) {
      case 'builtin':
        return loadBuiltin(ref.name, ref.split, ref.limit);
      case 'stored':
        return readStored(sources, (await sources.datasets.get(ref.id)).artifact);
      case 'inline':
        return readStored(sources, ref.artifact);
    }
  }
  if ('builtin' in ref) return loadBuiltin(ref.builtin, ref.split, ref.limit);
  if ('id' in ref) return readStored(sources, (await sources.datasets.get(ref.id)).artifact);
  return inlineDataset(ref);
}

/** Removes the data a job carried inline once the job has ended; stored datasets and built-ins outlive their jobs. */
export async function releaseJobDataset(artifacts: Pick<ArtifactStore, 'delete'>, ref: StoredDatasetRef): Promise<void> {
  if (ref.kind === 'inline') await artifacts.delete(ref.artifact);
}

async function readStored(sources: DatasetSources, artifact: string): Promise<Dataset> {
  const names = await sources.artifacts.list(artifact);
  const files: Record<string, Uint8Array> = {};
  for (const name of names) files[name] = await sources.artifacts.getFile(artifact, name);
  return decodeDataset(files);
}
