import { jobCheckpointKey } from '../registry/artifact-layout.js';
import type { ArtifactStore } from '../registry/artifacts.js';
import { CHECKPOINT_JSON, CHECKPOINT_TENSORS, decodeCheckpoint, encodeCheckpoint, type TrainingCheckpoint } from './checkpoint.js';

/** Replaces the job's checkpoint, all or nothing: a reader finds the previous one or this one whole. */
export async function saveCheckpoint(store: Pick<ArtifactStore, 'putFiles'>, jobId: string, checkpoint: TrainingCheckpoint): Promise<void> {
  await store.putFiles(jobCheckpointKey(jobId), encodeCheckpoint(checkpoint));
}

/** The job's last checkpoint; null when it has none. */
export async function loadCheckpoint(store: Pick<ArtifactStore, 'exists' | 'getFile'>, jobId: string): Promise<TrainingCheckpoint | null> {
  const key = jobCheckpointKey(jobId);
  if (!(await store.exists(key))) return null;
  return decodeCheckpoint({ json: await store.getFile(key, CHECKPOINT_JSON), tensors: await store.getFile(key, CHECKPOINT_TENSORS) });
}

export async function deleteCheckpoint(store: Pick<ArtifactStore, 'delete'>, jobId: string): Promise<void> {
  await store.delete(jobCheckpointKey(jobId));
}
