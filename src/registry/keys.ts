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
    /** A tenant's jobs; jobs of no tenant are in no such index. */
    tenantJobs: (tenant: string) => `${prefix}:jobs:tenant:${tenant}`,
    job: (id: string) => `${prefix}:job:${id}`,
    epochs: (jobId: string) => `${prefix}:job:${jobId}:epochs`,

    jobEvents: (jobId: string) => `${prefix}:events:job:${jobId}`,
    cancels: `${prefix}:events:cancel`,
    /** Model records created, changed or deleted, and versions added: what the API's catalog follows. */
    modelEvents: `${prefix}:events:models`,
  };
}

export type RegistryKeys = ReturnType<typeof registryKeys>;
