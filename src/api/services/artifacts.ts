import type { Readable } from 'node:stream';
import { NotFoundError } from '../../errors.js';
import type { AppDeps } from '../app.js';

async function versionArtifact(deps: AppDeps, idOrName: string, version: number): Promise<string> {
  const model = await deps.registry.getModel(idOrName);
  return (await deps.registry.getVersion(model.id, version)).artifact;
}

/**
 * model.json with its weight paths made relative to the artifact URL:
 * tf.loadLayersModel fetches `<dir of the URL>/<path>`, so `artifact/weights.bin`
 * lands on the file route below `.../versions/{v}/artifact/`.
 */
export async function artifactModelJson(deps: AppDeps, idOrName: string, version: number): Promise<Record<string, unknown>> {
  const key = await versionArtifact(deps, idOrName, version);
  const modelJson = JSON.parse((await deps.store.getFile(key, 'model.json')).toString('utf8')) as {
    weightsManifest?: { paths: string[] }[];
  };
  for (const group of modelJson.weightsManifest ?? []) group.paths = group.paths.map((path) => `artifact/${path}`);
  return modelJson;
}

export async function artifactFile(
  deps: AppDeps,
  idOrName: string,
  version: number,
  file: string,
): Promise<{ stream: Readable; size: number }> {
  const key = await versionArtifact(deps, idOrName, version);
  const files = await deps.store.list(key);
  if (!files.includes(file)) throw new NotFoundError(`version ${version} has no file '${file}'`);
  return { stream: deps.store.createReadStream(key, file), size: await deps.store.size(key, file) };
}
