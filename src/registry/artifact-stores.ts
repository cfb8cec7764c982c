import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError } from '../config.js';
import type { ArtifactStore } from './artifacts.js';
import { FileArtifactStore } from './file-artifact-store.js';

/**
 * The artifact stores by URL scheme, as mlflow picks its artifact
 * repositories: a second store (S3, say) is its own file and one line here.
 */
const STORES: Record<string, (url: URL) => ArtifactStore> = {
  'file:': (url) => new FileArtifactStore(fileURLToPath(url)),
};

/** The store that ARTIFACT_STORE names; the DATA_DIR file store when it names none. */
export function openArtifactStore(config: { ARTIFACT_STORE?: string | undefined; DATA_DIR: string }): ArtifactStore {
  const url = config.ARTIFACT_STORE ? new URL(config.ARTIFACT_STORE) : pathToFileURL(config.DATA_DIR);
  const open = STORES[url.protocol];
  if (!open) throw new ConfigError(`ARTIFACT_STORE: no artifact store for ${url.protocol} URLs; known: ${Object.keys(STORES).join(', ')}`);
  return open(url);
}
