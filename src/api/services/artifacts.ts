import type { FastifyInstance } from 'fastify';
import type { Readable } from 'node:stream';
import { NotFoundError } from '../../errors.js';
import type { Tenant } from '../../registry/tenants.js';
import { ownModel } from './owned.js';

type Deps = Pick<FastifyInstance, 'models' | 'artifacts'>;

async function versionArtifact(deps: Deps, tenant: Tenant, idOrName: string, version: number): Promise<string> {
  const model = await ownModel(deps, tenant, idOrName);
  return (await deps.models.getVersion(model.id, version)).artifact;
}

/**
 * model.json with its weight paths made relative to the artifact URL:
 * tf.loadLayersModel fetches `<dir of the URL>/<path>`, so `artifact/weights.bin`
 * lands on the file route below `.../versions/{v}/artifact/`.
 */
export async function artifactModelJson(deps: Deps, tenant: Tenant, idOrName: string, version: number): Promise<Record<string, unknown>> {
  const key = await versionArtifact(deps, tenant, idOrName, version);
  const modelJson = JSON.parse((await deps.artifacts.getFile(key, 'model.json')).toString('utf8')) as {
    weightsManifest?: { paths: string[] }[];
  };
  for (const group of modelJson.weightsManifest ?? []) group.paths = group.paths.map((path) => `artifact/${path}`);
  return modelJson;
}

/** Where a client fetches a file of the version straight from the store, when it can sign such a URL. */
export async function artifactFileUrl(deps: Deps, tenant: Tenant, idOrName: string, version: number, file: string): Promise<string | undefined> {
  if (!deps.artifacts.signedUrl) return undefined;
  return deps.artifacts.signedUrl(await versionArtifact(deps, tenant, idOrName, version), file);
}

export async function artifactFile(
  deps: Deps,
  tenant: Tenant,
  idOrName: string,
  version: number,
  file: string,
): Promise<{ stream: Readable; size: number }> {
  const key = await versionArtifact(deps, tenant, idOrName, version);
  const files = await deps.artifacts.list(key);
  if (!files.includes(file)) throw new NotFoundError(`version ${version} has no file '${file}'`);
  return { stream: deps.artifacts.createReadStream(key, file), size: await deps.artifacts.size(key, file) };
}
