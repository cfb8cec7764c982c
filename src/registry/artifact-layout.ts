/**
 * The top folders of the artifact store and what each record keeps under
 * them, named in one place so the orphan sweep knows every folder a record
 * can own. A model's files are under `modelArtifactsFolder` (model-artifacts.ts).
 */
export const MODELS_FOLDER = 'models';
export const JOBS_FOLDER = 'jobs';
export const DATASETS_FOLDER = 'datasets';
/** Uploads being received: each lives only for its request. */
export const UPLOADS_FOLDER = 'uploads';

/** Everything a job keeps for itself (its inline data, its checkpoint); versions it trained belong to the model. */
export function jobArtifactsFolder(jobId: string): string {
  return `${JOBS_FOLDER}/${jobId}`;
}

export function inlineDatasetKey(jobId: string): string {
  return `${jobArtifactsFolder(jobId)}/dataset`;
}

/** The job's last checkpoint while it trains: one folder, replaced whole by each new one. */
export function jobCheckpointKey(jobId: string): string {
  return `${jobArtifactsFolder(jobId)}/checkpoint`;
}

export function datasetArtifactsFolder(datasetId: string): string {
  return `${DATASETS_FOLDER}/${datasetId}`;
}
