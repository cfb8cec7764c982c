import type { FastifyInstance } from 'fastify';
import type { JobRecord } from '../../jobs/record.js';
import type { DatasetRecord, ModelRecord } from '../../registry/records.js';
import { ownedBy, type Tenant } from '../../registry/tenants.js';

/**
 * The records a tenant may reach, by id or name: each a 404 `not_found`, word
 * for word a missing record's, when it belongs to another tenant. Every route
 * that takes a model, dataset or job from a request reads it through these
 * (serving reads models through the catalog's `resolve`, which checks the same).
 */
export async function ownModel(deps: Pick<FastifyInstance, 'models'>, tenant: Tenant, idOrName: string): Promise<ModelRecord> {
  return ownedBy(tenant, 'model', idOrName, await deps.models.find(idOrName));
}

export async function ownDataset(deps: Pick<FastifyInstance, 'datasets'>, tenant: Tenant, idOrName: string): Promise<DatasetRecord> {
  return ownedBy(tenant, 'dataset', idOrName, await deps.datasets.find(idOrName));
}

export async function ownJob(deps: Pick<FastifyInstance, 'jobs'>, tenant: Tenant, id: string): Promise<JobRecord> {
  return ownedBy(tenant, 'job', id, await deps.jobs.find(id));
}
