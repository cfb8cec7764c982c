import * as tf from '@tensorflow/tfjs';
import { LRUCache } from 'lru-cache';
import type { NDArray } from '../datasets/types.js';
import { compileModel } from '../models/index.js';
import { PredictBatcher } from '../models/predict-batcher.js';
import type { ArtifactStore } from '../registry/artifacts.js';
import { loadModelArtifacts } from '../registry/model-artifacts.js';
import type { ModelEvents } from '../registry/model-events.js';
import type { ModelStore } from '../registry/model-store.js';
import type { VersionRecord } from '../registry/records.js';
import { ModelCatalog } from '../serving/model-catalog.js';
import { preparePreprocessing } from '../serving/preprocess.js';

export interface LoadedVersion {
  record: VersionRecord;
  model: tf.LayersModel;
  /** Predictions go through here, so concurrent requests share model calls. */
  batcher: PredictBatcher;
  /** The sample shape instances must have (null where any size fits). */
  sampleShape: (number | null)[];
  /** The version's stored preprocessing, prepared once; it rewrites the fresh input it is given. */
  preprocess: (x: NDArray, path: string) => NDArray;
}

export interface ModelCacheOptions {
  models: Pick<ModelStore, 'get' | 'getVersion' | 'find' | 'list' | 'latestVersion'>;
  events: Pick<ModelEvents, 'listen'>;
  artifacts: ArtifactStore;
  size: number;
  onError: (error: unknown) => void;
}

/**
 * Trained versions loaded into TensorFlow.js, least recently used dropped
 * first, and the catalog of models that says which version is the latest.
 * Keys are (model, version): a new version is a new key, so the latest
 * is never served stale, and an evicted model's tensors are disposed.
 */
export class ModelCache {
  hits = 0;
  misses = 0;
  readonly catalog: ModelCatalog;
  private readonly loaded: LRUCache<string, LoadedVersion>;
  private readonly loading = new Map<string, Promise<LoadedVersion>>();

  constructor(private readonly options: ModelCacheOptions) {
    this.loaded = new LRUCache<string, LoadedVersion>({
      max: options.size,
      dispose: (entry) => entry.model.dispose(),
    });
    this.catalog = new ModelCatalog({ models: options.models, events: options.events, onDeleted: (id) => this.forget(id), onError: options.onError });
  }

  async get(modelId: string, version: number): Promise<LoadedVersion> {
    const key = `${modelId}@${version}`;
    const hit = this.loaded.get(key);
    if (hit) {
      this.hits += 1;
      return hit;
    }
    this.misses += 1;
    // Concurrent first requests for one version share one load.
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.load(modelId, version).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    const entry = await pending;
    if (!this.loaded.has(key)) this.loaded.set(key, entry);
    return entry;
  }

  /** Drops every loaded version of a model (it was deleted). */
  forget(modelId: string): void {
    for (const key of [...this.loaded.keys()]) if (key.startsWith(`${modelId}@`)) this.loaded.delete(key);
  }

  async close(): Promise<void> {
    await this.catalog.close();
    this.loaded.clear();
  }

  private async load(modelId: string, version: number): Promise<LoadedVersion> {
    const { models, artifacts } = this.options;
    const [record, owner] = await Promise.all([models.getVersion(modelId, version), models.get(modelId)]);
    const model = await tf.loadLayersModel(tf.io.fromMemory(await loadModelArtifacts(artifacts, record.artifact)));
    // Saved weights carry no loss or metrics; evaluate needs the ones the model was defined with.
    const { compile } = owner.definition;
    if (compile) compileModel(model, compile);
    return {
      record,
      model,
      batcher: new PredictBatcher(model),
      sampleShape: record.input_shape.slice(),
      preprocess: preparePreprocessing(record.preprocessing ?? {}),
    };
  }
}
