/**
 * Every Redis key and channel the stores and job events use, under one
 * prefix. Nothing else builds these names.
 */
export function registryKeys(prefix: string) {
  return {
    models: `${prefix}:models`,
    modelNames: `${prefix}:model-names`,
    modelSeq: `${prefix}:models:seq`,
    model: (id: string) => `${prefix}:model:${id}`,
    versions: (modelId: string) => `${prefix}:model:${modelId}:versions`,
    /** Never written: the dependents of a record that has none, for scripts that take a dependents key. */
    none: `${prefix}:none`,

    datasets: `${prefix}:datasets`,
    datasetNames: `${prefix}:dataset-names`,
    datasetSeq: `${prefix}:datasets:seq`,
    dataset: (id: string) => `${prefix}:dataset:${id}`,

    jobs: `${prefix}:jobs`,
    activeJobs: `${prefix}:jobs:active`,
    jobSeq: `${prefix}:jobs:seq`,
    modelJobs: (modelId: string) => `${prefix}:jobs:model:${modelId}`,
    /** The jobs that finished with one status (completed, failed, cancelled), by creation: src/jobs/finished-index.ts. */
    finishedJobs: (status: string) => `${prefix}:jobs:finished:${status}`,
    /** Set once the jobs that finished before those indexes existed are in them. */
    finishedJobsIndexed: `${prefix}:jobs:finished-indexed`,
    /** A tenant's jobs; jobs of no tenant are in no such index. */
    tenantJobs: (tenant: string) => `${prefix}:jobs:tenant:${tenant}`,
    job: (id: string) => `${prefix}:job:${id}`,
    epochs: (jobId: string) => `${prefix}:job:${jobId}:epochs`,

    sweeps: `${prefix}:sweeps`,
    /** Sweeps running, or cancelled with trials still to end: what the workers' periodic advance visits. */
    activeSweeps: `${prefix}:sweeps:active`,
    sweep: (id: string) => `${prefix}:sweep:${id}`,
    sweepTrials: (id: string) => `${prefix}:sweep:${id}:trials`,
    /** Trials that the median rule stopped: index → their objective history, until the sweep records them. */
    sweepStopped: (id: string) => `${prefix}:sweep:${id}:stopped`,
    sweepLock: (id: string) => `${prefix}:sweep:${id}:lock`,
    sweepDirty: (id: string) => `${prefix}:sweep:${id}:dirty`,
    /** job id → its sweep and trial, for every trial's job. */
    trialJobs: `${prefix}:sweeps:jobs`,

    jobEvents: (jobId: string) => `${prefix}:events:job:${jobId}`,
    sweepEvents: (id: string) => `${prefix}:events:sweep:${id}`,
    cancels: `${prefix}:events:cancel`,
    /** Model records created, changed or deleted, and versions added: what the API's catalog follows. */
    modelEvents: `${prefix}:events:models`,
  };
}

export type RegistryKeys = ReturnType<typeof registryKeys>;
