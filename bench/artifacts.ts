import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildModel, parseModelDefinition } from '../src/models/index.js';
import { openArtifactStore } from '../src/registry/artifact-stores.js';
import type { ArtifactStore } from '../src/registry/artifacts.js';
import { FileArtifactStore } from '../src/registry/file-artifact-store.js';
import { MODEL_JSON, loadModelArtifacts, saveModelArtifacts } from '../src/registry/model-artifacts.js';
import { startS3 } from '../test/support/s3.js';
import { mnistCnnCase } from './cases.js';
import { log } from './log.js';
import type { ArtifactStoreRun, ArtifactsResult } from './report-types.js';
import type { Sizes } from './sizes.js';

/** The MNIST CNN of the training part, built with fresh weights, as the files a trained version of it holds. */
async function mnistCnnArtifacts(sizes: Sizes): Promise<tf.io.ModelArtifacts> {
  const spec = mnistCnnCase(sizes);
  const definition = parseModelDefinition({ architecture: { type: 'sequential', input_shape: spec.inputShape, layers: spec.layers }, compile: spec.compile });
  const model = buildModel(definition, { maxParams: Number.MAX_SAFE_INTEGER, maxLayers: 1000 });
  const holder: { artifacts?: tf.io.ModelArtifacts } = {};
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      holder.artifacts = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  model.dispose();
  if (!holder.artifacts) throw new Error('the model saved nothing');
  return holder.artifacts;
}

/** `count` versions written one after another, then each read back whole, then removed. */
async function measure(label: string, store: ArtifactStore, artifacts: tf.io.ModelArtifacts, count: number): Promise<ArtifactStoreRun> {
  const keys = Array.from({ length: count }, (_, i) => `bench-artifacts/v${i}`);
  const writeStart = performance.now();
  for (const key of keys) await saveModelArtifacts(store, key, artifacts);
  const writeS = (performance.now() - writeStart) / 1000;
  const readStart = performance.now();
  let bytes = 0;
  for (const key of keys) {
    const read = await loadModelArtifacts(store, key);
    bytes = (await store.getFile(key, MODEL_JSON)).byteLength + (read.weightData === undefined ? 0 : tf.io.CompositeArrayBuffer.join(read.weightData).byteLength);
  }
  const readS = (performance.now() - readStart) / 1000;
  for (const key of keys) await store.delete(key);
  const mb = (bytes * count) / 1e6;
  return { store: label, versions: count, version_bytes: bytes, write_s: writeS, read_s: readS, writes_per_s: count / writeS, reads_per_s: count / readS, write_mb_per_s: mb / writeS, read_mb_per_s: mb / readS };
}

export interface ArtifactsContext {
  sizes: Sizes;
  workDir: string;
}

/** The file store against the S3 store on an s3rver of its own, for versions the size of the MNIST CNN's. */
export async function runArtifacts(ctx: ArtifactsContext): Promise<ArtifactsResult> {
  const { versions } = ctx.sizes.artifacts;
  const artifacts = await mnistCnnArtifacts(ctx.sizes);
  log(`artifacts: ${versions} MNIST CNN versions written and read, file store then S3 (s3rver)`);
  const dir = join(ctx.workDir, 'artifact-bench');
  mkdirSync(dir, { recursive: true });
  const runs = [await measure('file', new FileArtifactStore(dir), artifacts, versions)];
  const s3 = await startS3();
  try {
    const store = openArtifactStore({ ARTIFACT_STORE: s3.storeUrl(), DATA_DIR: dir, S3_ENDPOINT: s3.env.S3_ENDPOINT, S3_REGION: s3.env.S3_REGION, S3_FORCE_PATH_STYLE: true });
    runs.push(await measure('s3 (s3rver)', store, artifacts, versions));
  } finally {
    await s3.stop();
  }
  return {
    runs,
    notes: [
      'artifacts: a version is model.json and weights.bin as saveModelArtifacts writes them (all or nothing); a read is loadModelArtifacts, as the serving cache loads a version. s3rver runs on this machine and keeps its objects on its disk: the S3 numbers measure the protocol and the SDK, not a network',
    ],
  };
}
