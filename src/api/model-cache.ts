import * as tf from '@tensorflow/tfjs';
import { LRUCache } from 'lru-cache';
import { compileModel } from '../models/index.js';
import { PredictBatcher } from '../models/predict-batcher.js';
import type { ArtifactStore } from '../registry/artifacts.js';
import { loadModelArtifacts } from '../registry/model-artifacts.js';
import type { ModelStore } from '../registry/model-store.js';
import type { VersionRecord } from '../registry/records.js';

export interface LoadedVersion {
  record: VersionRecord;
  model: tf.LayersModel;
  /** Predictions go through here, so concurrent requests share model calls. */
  batcher: PredictBatcher;
}

export interface ModelCacheOptions {
  models: Pick<ModelStore, 'get' | 'getVersion'>;
  artifacts: ArtifactStore;
  size: number;
}

/**
 * Trained versions loaded into TensorFlow.js, least recently used dropped
 * first. Keys are (model, version): a new version is a new key, so the latest
 * is never served stale, and an evicted model's tensors are disposed.
 */
export class ModelCache {
  hits = 0;
  misses = 0;
  private readonly loaded: LRUCache<string, LoadedVersion>;
  private readonly loading = new Map<string, Promise<LoadedVersion>>();

  constructor(private readonly options: ModelCacheOptions) {
    this.loaded = new LRUCache<string, LoadedVersion>({
      max: options.size,
      dispose: (entry) => entry.model.dispose(),
    });
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

  clear(): void {
    this.loaded.clear();
  }

  private async load(modelId: string, version: number): Promise<LoadedVersion> {
    const { models, artifacts } = this.options;
    const [record, owner] = await Promise.all([models.getVersion(modelId, version), models.get(modelId)]);
    const model = await tf.loadLayersModel(tf.io.fromMemory(await loadModelArtifacts(artifacts, record.artifact)));
    // Saved weights carry no loss or metrics; evaluate needs the ones the model was defined with.
    const { compile } = owner.definition;
    if (compile) compileModel(model, compile);
    return { record, model, batcher: new PredictBatcher(model) };
  }
}
