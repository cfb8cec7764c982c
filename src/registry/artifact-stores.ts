import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError } from '../config.js';
import { isSegment, type ArtifactStore } from './artifacts.js';
import { FileArtifactStore } from './file-artifact-store.js';
import { S3ArtifactStore, type S3Settings } from './s3-artifact-store.js';

export interface ArtifactStoreSettings extends Partial<S3Settings> {
  ARTIFACT_STORE?: string | undefined;
  DATA_DIR: string;
}

/**
 * The artifact stores by URL scheme, as mlflow picks its artifact
 * repositories: a second store (S3, say) is its own file and one line here.
 */
const STORES: Record<string, (url: URL, settings: ArtifactStoreSettings) => ArtifactStore> = {
  'file:': (url) => new FileArtifactStore(fileURLToPath(url)),
  's3:': (url, settings) => {
    if (!url.hostname) throw new ConfigError(`ARTIFACT_STORE: ${url.href} names no bucket; expected s3://bucket/prefix`);
    const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
    if (prefix && !prefix.split('/').every(isSegment)) throw new ConfigError(`ARTIFACT_STORE: '${prefix}' cannot be a key prefix (letters, digits, '.', '_', '-' between slashes)`);
    return S3ArtifactStore.fromUrl(url, {
      S3_ENDPOINT: settings.S3_ENDPOINT,
      S3_REGION: settings.S3_REGION ?? 'us-east-1',
      S3_FORCE_PATH_STYLE: settings.S3_FORCE_PATH_STYLE ?? false,
    });
  },
};

/** The store that ARTIFACT_STORE names; the DATA_DIR file store when it names none. */
export function openArtifactStore(config: ArtifactStoreSettings): ArtifactStore {
  const url = config.ARTIFACT_STORE ? new URL(config.ARTIFACT_STORE) : pathToFileURL(config.DATA_DIR);
  const open = STORES[url.protocol];
  if (!open) throw new ConfigError(`ARTIFACT_STORE: no artifact store for ${url.protocol} URLs; known: ${Object.keys(STORES).join(', ')}`);
  return open(url, config);
}
