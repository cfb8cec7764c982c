import * as tf from '@tensorflow/tfjs';
import { MODELS_FOLDER } from './artifact-layout.js';
import type { ArtifactStore } from './artifacts.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** Every file a model's jobs write lives under this key, so deleting the model removes them all. */
export function modelArtifactsFolder(modelId: string): string {
  return `${MODELS_FOLDER}/${modelId}`;
}

/** Where a job saves the version it trained. */
export function jobArtifactKey(modelId: string, jobId: string): string {
  return `${modelArtifactsFolder(modelId)}/jobs/${jobId}`;
}

/**
 * Writes a model in the TensorFlow.js layers format, as `tf.io.fileSystem`
 * would: `model.json` (topology, training config, one weights-manifest group)
 * and every weight in one `weights.bin`, as a single all-or-nothing folder.
 */
export async function saveModelArtifacts(store: ArtifactStore, key: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new TypeError('only JSON model topologies (layers models) can be stored, not binary GraphDefs');
  }
  // tfjs 4.x hands weights over as one buffer or as shards; the file is their concatenation either way.
  const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology ?? {},
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig !== undefined) modelJson.trainingConfig = artifacts.trainingConfig;
  if (artifacts.signature !== undefined) modelJson.signature = artifacts.signature;
  if (artifacts.userDefinedMetadata !== undefined) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
  if (artifacts.modelInitializer !== undefined) modelJson.modelInitializer = artifacts.modelInitializer;
  if (artifacts.initializerSignature !== undefined) modelJson.initializerSignature = artifacts.initializerSignature;

  await store.putFiles(key, {
    [MODEL_JSON]: Buffer.from(JSON.stringify(modelJson)),
    [WEIGHTS_BIN]: new Uint8Array(weights),
  });
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
}

/**
 * Reads a layers-format folder back, weights and all, for
 * `tf.loadLayersModel(tf.io.fromMemory(artifacts))`. Manifests that shard
 * the weights over several files (as the Python converter writes) load too.
 */
export async function loadModelArtifacts(store: ArtifactStore, key: string): Promise<tf.io.ModelArtifacts> {
  const parsed: unknown = JSON.parse((await store.getFile(key, MODEL_JSON)).toString('utf8'));
  if (!isModelJson(parsed)) throw new Error(`artifact '${key}/${MODEL_JSON}' is not a TensorFlow.js model.json`);
  return tf.io.getModelArtifactsForJSON(parsed, async (manifest) => {
    const shards: ArrayBuffer[] = [];
    for (const group of manifest) {
      for (const path of group.paths) shards.push(new Uint8Array(await store.getFile(key, path)).buffer);
    }
    return [tf.io.getWeightSpecs(manifest), tf.io.CompositeArrayBuffer.join(shards)];
  });
}

/** An IOHandler over the store, for `model.save(handler)` and `tf.loadLayersModel(handler)`. */
export function storeIOHandler(store: ArtifactStore, key: string): tf.io.IOHandler {
  return {
    save: (artifacts) => saveModelArtifacts(store, key, artifacts),
    load: () => loadModelArtifacts(store, key),
  };
}

function isModelJson(value: unknown): value is tf.io.ModelJSON {
  if (!value || typeof value !== 'object') return false;
  const { modelTopology, weightsManifest } = value as Record<string, unknown>;
  return typeof modelTopology === 'object' && modelTopology !== null && Array.isArray(weightsManifest);
}
