import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../src/config.js';
import { NotFoundError, PayloadTooLargeError, ValidationError } from '../../src/errors.js';
import { openArtifactStore } from '../../src/registry/artifact-stores.js';
import { DatasetCachingStore } from '../../src/registry/dataset-cache.js';
import type { ArtifactStore } from '../../src/registry/artifacts.js';
import { FileArtifactStore } from '../../src/registry/file-artifact-store.js';
import { loadModelArtifacts, saveModelArtifacts, storeIOHandler } from '../../src/registry/model-artifacts.js';
import { createS3Client, S3ArtifactStore } from '../../src/registry/s3-artifact-store.js';
import { selectBackend, type BackendName } from '../../src/tf/backend.js';
import { startS3, TEST_BUCKET, type TestS3 } from '../support/s3.js';

let root: string;
let store: FileArtifactStore;
let s3: TestS3;

before(async () => {
  s3 = await startS3();
});

after(async () => {
  await s3.stop();
});

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'modelyard-artifacts-'));
  store = new FileArtifactStore(root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const isNotFound = (error: unknown) => error instanceof NotFoundError && error.status === 404;
const bytes = (s: string) => new TextEncoder().encode(s);

/** One store under test, fresh for each test, and what it keeps behind the interface. */
interface Subject {
  store: ArtifactStore;
  /** Everything stored, under any name, keys and the store's own alike. */
  everything(): Promise<string[]>;
  /** What crashed or failed writes left behind: scratch files, files no folder lists. */
  leftovers(): Promise<string[]>;
  /** A file name the storage underneath refuses to write, and what it answers. */
  refused: { name: string; error: RegExp };
  cleanup(): Promise<void>;
}

async function fileSubject(): Promise<Subject> {
  const dir = await mkdtemp(join(tmpdir(), 'modelyard-artifacts-'));
  return {
    store: new FileArtifactStore(dir),
    everything: async () => (await readdir(dir)).filter((entry) => entry !== '.tmp'),
    leftovers: () => readdir(join(dir, '.tmp')).catch(() => []),
    // NAME_MAX is 255.
    refused: { name: `${'w'.repeat(300)}.bin`, error: /ENAMETOOLONG/ },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

async function s3Subject(): Promise<Subject> {
  const url = s3.storeUrl();
  const client = createS3Client({ S3_ENDPOINT: s3.env.S3_ENDPOINT, S3_REGION: 'us-east-1', S3_FORCE_PATH_STYLE: true });
  // The bucket refusing one object, as S3 does past a quota or a policy: s3rver has no such rule.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const key = (args.input as { Key?: unknown }).Key;
      if (context.commandName === 'PutObjectCommand' && typeof key === 'string' && key.endsWith('/refused.bin')) throw new Error('AccessDenied: refused.bin');
      return next(args);
    },
    { step: 'initialize' },
  );
  const everything = () => s3.keys(url);
  return {
    store: new S3ArtifactStore(client, TEST_BUCKET, new URL(url).pathname),
    refused: { name: 'refused.bin', error: /AccessDenied/ },
    everything,
    async leftovers() {
      const keys = await everything();
      const listed = new Set<string>();
      for (const manifest of keys.filter((key) => key.endsWith('/.manifest'))) {
        const { Body } = await s3.client.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: manifest }));
        const parsed = JSON.parse((await Body?.transformToString()) ?? '{}') as { files: Record<string, { object: string }> };
        for (const file of Object.values(parsed.files)) listed.add(file.object);
      }
      return keys.filter((key) => key.includes('/.files/') && !listed.has(key));
    },
    async cleanup() {
      for (const Key of await everything()) await s3.client.send(new DeleteObjectCommand({ Bucket: TEST_BUCKET, Key }));
      client.destroy();
    },
  };
}

for (const [name, open] of [
  ['FileArtifactStore', fileSubject],
  ['S3ArtifactStore', s3Subject],
] as const) {
  describe(`${name} (the ArtifactStore contract)`, () => {
    let store: ArtifactStore;
    let subject: Subject;
    const leftovers = () => subject.leftovers();

    beforeEach(async () => {
      subject = await open();
      store = subject.store;
    });

    afterEach(async () => {
      await subject.cleanup();
    });

    it('stores, reads, replaces and deletes a blob', async () => {
      assert.equal(await store.exists('datasets/ds_1'), false);
      await store.put('datasets/ds_1', bytes('first'));
      assert.equal(await store.exists('datasets/ds_1'), true);
      assert.equal((await store.get('datasets/ds_1')).toString(), 'first');
      await store.put('datasets/ds_1', bytes('second'));
      assert.equal((await store.get('datasets/ds_1')).toString(), 'second');
      await store.delete('datasets/ds_1');
      assert.equal(await store.exists('datasets/ds_1'), false);
      await store.delete('datasets/ds_1');
      await assert.rejects(store.get('datasets/ds_1'), isNotFound);
      assert.deepEqual(await leftovers(), []);
    });

    it('stores a folder of files and serves them one by one', async () => {
      await store.putFiles('models/mdl_1/v1', { 'model.json': bytes('{}'), 'weights.bin': new Uint8Array([1, 2, 3]) });
      assert.deepEqual(await store.list('models/mdl_1/v1'), ['model.json', 'weights.bin']);
      assert.deepEqual([...(await store.getFile('models/mdl_1/v1', 'weights.bin'))], [1, 2, 3]);
      assert.equal(await store.size('models/mdl_1/v1', 'weights.bin'), 3);
      assert.equal(await text(store.createReadStream('models/mdl_1/v1', 'model.json')), '{}');
      await assert.rejects(store.getFile('models/mdl_1/v1', 'other.bin'), isNotFound);
      await assert.rejects(store.size('models/mdl_1/v1', 'other.bin'), isNotFound);
      await assert.rejects(text(store.createReadStream('models/mdl_1/v1', 'other.bin')), (e) => e instanceof NotFoundError || /ENOENT/.test(String(e)));
      await assert.rejects(store.list('models/mdl_2'), isNotFound);
      await assert.rejects(store.get('models/mdl_1/v1'), isNotFound);

      // A second putFiles replaces the folder: the old set does not linger.
      await store.putFiles('models/mdl_1/v1', { 'other.bin': bytes('x') });
      assert.deepEqual(await store.list('models/mdl_1/v1'), ['other.bin']);
      await store.delete('models/mdl_1');
      assert.equal(await store.exists('models/mdl_1/v1'), false);
      assert.deepEqual(await leftovers(), []);
    });

    it('refuses keys and names that could leave the store', async () => {
      const badKeys = ['', '../x', 'a/../../x', '/etc/passwd', 'a//b', 'a/./b', '.tmp/x', 'a/', 'a\\b', 'a b', `${'k'.repeat(1100)}`];
      for (const key of badKeys) {
        await assert.rejects(store.put(key, bytes('x')), ValidationError, key);
        await assert.rejects(store.exists(key), ValidationError, key);
        await assert.rejects(store.delete(key), ValidationError, key);
      }
      await assert.rejects(store.putFiles('ok', { '../escape': bytes('x') }), ValidationError);
      await assert.rejects(store.getFile('ok', '../ok'), ValidationError);
      assert.throws(() => store.createReadStream('ok', 'a/b'), ValidationError);
      // Nothing was written anywhere.
      assert.deepEqual(await subject.everything(), []);
      assert.deepEqual(await leftovers(), []);
    });

    it('leaves nothing at the key when one write of a folder fails', async () => {
      // The storage refuses the second file, after model.json is written.
      const files = { 'model.json': bytes('{}'), [subject.refused.name]: bytes('x') };
      await assert.rejects(store.putFiles('models/mdl_1/v1', files), subject.refused.error);
      assert.equal(await store.exists('models/mdl_1/v1'), false);
      assert.deepEqual(await leftovers(), []);

      // Over an existing artifact, the failed write leaves the old one whole.
      await store.putFiles('models/mdl_1/v1', { 'model.json': bytes('old'), 'weights.bin': bytes('old') });
      await assert.rejects(store.putFiles('models/mdl_1/v1', files), subject.refused.error);
      assert.deepEqual(await store.list('models/mdl_1/v1'), ['model.json', 'weights.bin']);
      assert.equal((await store.getFile('models/mdl_1/v1', 'model.json')).toString(), 'old');
      assert.deepEqual(await leftovers(), []);
    });

    it('streams an upload to a file with its size and sha256', async () => {
      const chunks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(1024, i));
      const stored = await store.putStream('datasets/ds_1', 'upload.csv', Readable.from(chunks), 64 * 1024);
      const whole = Buffer.concat(chunks);
      assert.deepEqual(stored, { bytes: whole.length, sha256: createHash('sha256').update(whole).digest('hex') });
      assert.ok((await store.getFile('datasets/ds_1', 'upload.csv')).equals(whole));
      // A second file joins the same folder.
      await store.putStream('datasets/ds_1', 'notes.txt', Readable.from(['a', 'b']), 10);
      assert.deepEqual(await store.list('datasets/ds_1'), ['notes.txt', 'upload.csv']);
      assert.deepEqual(await leftovers(), []);
    });

    it('stops an upload past the limit with 413 and keeps nothing', async () => {
      let pulled = 0;
      const source = Readable.from(
        (function* () {
          for (let i = 0; i < 1000; i++) {
            pulled++;
            yield Buffer.alloc(1024);
          }
        })(),
      );
      await assert.rejects(store.putStream('datasets/ds_1', 'upload.csv', source, 10 * 1024), (e) => e instanceof PayloadTooLargeError && e.status === 413);
      assert.ok(pulled < 100, `read ${pulled} chunks past the limit`);
      // Left for the caller to answer 413 on the request before closing it.
      assert.equal(source.destroyed, false);
      source.destroy();
      assert.equal(await store.exists('datasets/ds_1'), false);
      assert.deepEqual(await leftovers(), []);
    });

    it('keeps nothing when the upload breaks off', async () => {
      const source = Readable.from(
        (async function* () {
          yield Buffer.from('a,b\n1,2\n');
          throw new Error('client went away');
        })(),
      );
      await assert.rejects(store.putStream('datasets/ds_1', 'upload.csv', source, 1024), /client went away/);
      assert.equal(await store.exists('datasets/ds_1'), false);
      assert.deepEqual(await leftovers(), []);
    });
  });
}

describe('openArtifactStore', () => {
  it('opens the store its URL scheme names, the DATA_DIR folder by default', async () => {
    const byUrl = openArtifactStore({ ARTIFACT_STORE: pathToFileURL(root).href, DATA_DIR: '/nonexistent' });
    await byUrl.putFiles('datasets/ds_1', { 'x.npy': bytes('x') });
    const byDir = openArtifactStore({ DATA_DIR: root });
    assert.equal((await byDir.getFile('datasets/ds_1', 'x.npy')).toString(), 'x');
    assert.deepEqual(await store.list('datasets/ds_1'), ['x.npy']);
  });

  it('refuses a scheme it has no store for, naming the ones it has', () => {
    assert.throws(() => openArtifactStore({ ARTIFACT_STORE: 'gs://bucket/prefix', DATA_DIR: root }), (e) => e instanceof ConfigError && /gs:.*file:.*s3:/.test(e.message));
    assert.throws(() => openArtifactStore({ ARTIFACT_STORE: 's3:///prefix', DATA_DIR: root }), (e) => e instanceof ConfigError && /no bucket/.test(e.message));
    assert.throws(() => openArtifactStore({ ARTIFACT_STORE: 's3://bucket/a/../.hidden', DATA_DIR: root }), (e) => e instanceof ConfigError && /prefix/.test(e.message));
  });
});

describe('S3ArtifactStore', () => {
  let url: string;
  let subject: Subject;

  beforeEach(async () => {
    subject = await s3Subject();
    url = s3.storeUrl();
  });

  afterEach(async () => {
    await subject.cleanup();
  });

  it('shows no folder whose manifest is not written yet, and finds its files through the manifest alone', async () => {
    await subject.store.putFiles('models/mdl_1/v1', { 'model.json': bytes('{}'), 'weights.bin': bytes('w') });
    const keys = await subject.everything();
    const manifest = keys.find((key) => key.endsWith('/models/mdl_1/v1/.manifest'));
    assert.ok(manifest, keys.join(', '));
    // What a reader finds between the files and the manifest of a write: the files alone.
    await s3.client.send(new DeleteObjectCommand({ Bucket: TEST_BUCKET, Key: manifest }));
    await assert.rejects(subject.store.list('models/mdl_1/v1'), isNotFound);
    await assert.rejects(subject.store.getFile('models/mdl_1/v1', 'model.json'), isNotFound);
    await assert.rejects(subject.store.size('models/mdl_1/v1', 'weights.bin'), isNotFound);
  });

  it('keeps a replaced folder readable until the new manifest is in place, then removes its files', async () => {
    await subject.store.putFiles('models/mdl_1/v1', { 'model.json': bytes('old'), 'weights.bin': bytes('old') });
    const before = await subject.everything();
    await subject.store.putFiles('models/mdl_1/v1', { 'model.json': bytes('new') });
    const after = await subject.everything();
    assert.equal(after.filter((key) => before.includes(key) && key.includes('/.files/')).length, 0, 'the old files were removed');
    assert.deepEqual(await subject.store.list('models/mdl_1/v1'), ['model.json']);
    assert.equal((await subject.store.getFile('models/mdl_1/v1', 'model.json')).toString(), 'new');
  });

  it('signs a URL that fetches a file straight from the bucket', async () => {
    await subject.store.putFiles('models/mdl_1/v1', { 'weights.bin': new Uint8Array([7, 8, 9]) });
    const signed = (await subject.store.signedUrl?.('models/mdl_1/v1', 'weights.bin')) ?? '';
    assert.ok(signed.startsWith(`${s3.env.S3_ENDPOINT}/${TEST_BUCKET}/`), signed);
    const response = await fetch(signed);
    assert.equal(response.status, 200);
    assert.deepEqual([...new Uint8Array(await response.arrayBuffer())], [7, 8, 9]);
    await assert.rejects(subject.store.signedUrl?.('models/mdl_1/v1', 'other.bin') ?? Promise.resolve(), isNotFound);
  });

  it('keeps the datasets a worker read within DATASET_CACHE_BYTES, the least recently used out first', async () => {
    const cached = new DatasetCachingStore(subject.store, 10);
    await cached.putFiles('datasets/ds_1', { 'x.npy': bytes('aaaaaa') });
    await subject.store.putFiles('datasets/ds_2', { 'x.npy': bytes('bbbbbb') });
    await subject.store.putFiles('models/mdl_1/v1', { 'model.json': bytes('{}') });
    assert.equal((await cached.getFile('datasets/ds_1', 'x.npy')).toString(), 'aaaaaa');
    assert.equal((await cached.getFile('models/mdl_1/v1', 'model.json')).toString(), '{}');
    assert.equal(cached.bytes, 6, 'a dataset is kept, a model is not');

    // Gone from the bucket behind the cache's back: the kept copy answers.
    await subject.store.delete('datasets/ds_1');
    assert.equal((await cached.getFile('datasets/ds_1', 'x.npy')).toString(), 'aaaaaa');
    await subject.store.delete('models/mdl_1');
    await assert.rejects(cached.getFile('models/mdl_1/v1', 'model.json'), isNotFound);

    // A second dataset does not fit beside the first: the first goes.
    assert.equal((await cached.getFile('datasets/ds_2', 'x.npy')).toString(), 'bbbbbb');
    assert.equal(cached.bytes, 6);
    await assert.rejects(cached.getFile('datasets/ds_1', 'x.npy'), isNotFound);

    // Its own delete drops what it kept.
    await cached.delete('datasets/ds_2');
    assert.equal(cached.bytes, 0);
    await assert.rejects(cached.getFile('datasets/ds_2', 'x.npy'), isNotFound);
  });

  it('keeps each store under its own prefix of the bucket', async () => {
    const other = openArtifactStore({ ARTIFACT_STORE: url, DATA_DIR: '/nonexistent', S3_ENDPOINT: s3.env.S3_ENDPOINT, S3_FORCE_PATH_STYLE: true });
    await subject.store.put('datasets/ds_1', bytes('mine'));
    assert.equal(await other.exists('datasets/ds_1'), false);
    assert.deepEqual(await other.children('datasets'), []);
    assert.deepEqual((await subject.store.children('datasets')).map((entry) => entry.name), ['ds_1']);
  });
});

describe('TensorFlow.js model artifacts', () => {
  before(async () => {
    await selectBackend(process.env.TF_BACKEND as BackendName | undefined);
  });

  after(() => {
    tf.disposeVariables();
  });

  function smallModel(): tf.LayersModel {
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 5, activation: 'relu', inputShape: [4] }));
    model.add(tf.layers.batchNormalization());
    model.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    return model;
  }

  async function predictions(model: tf.LayersModel, x: tf.Tensor): Promise<number[][]> {
    const y = model.predict(x) as tf.Tensor;
    const values = (await y.array()) as number[][];
    y.dispose();
    return values;
  }

  it('saves a model in layers format and loads it back with the same predictions', async () => {
    const before = tf.memory().numTensors;
    const model = smallModel();
    const x = tf.tensor2d([
      [5.1, 3.5, 1.4, 0.2],
      [6.7, 3.0, 5.2, 2.3],
    ]);
    const expected = await predictions(model, x);

    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    assert.ok(saved?.weightData);
    const result = await saveModelArtifacts(store, 'models/mdl_1/jobs/job_1', saved);
    assert.equal(result.modelArtifactsInfo.modelTopologyType, 'JSON');
    assert.deepEqual(await store.list('models/mdl_1/jobs/job_1'), ['model.json', 'weights.bin']);

    const modelJson = JSON.parse((await store.getFile('models/mdl_1/jobs/job_1', 'model.json')).toString()) as Record<string, unknown>;
    assert.equal(modelJson.format, 'layers-model');
    assert.deepEqual(modelJson.weightsManifest, [{ paths: ['weights.bin'], weights: saved.weightSpecs }]);
    assert.equal(modelJson.generatedBy, saved.generatedBy);
    assert.equal('trainingConfig' in modelJson, false);
    const weights = await store.getFile('models/mdl_1/jobs/job_1', 'weights.bin');
    assert.ok(weights.equals(Buffer.from(tf.io.CompositeArrayBuffer.join(saved.weightData))));

    const artifacts = await loadModelArtifacts(store, 'models/mdl_1/jobs/job_1');
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    assert.deepEqual(await predictions(loaded, x), expected);

    // The same through an IOHandler, both ways.
    await model.save(storeIOHandler(store, 'models/mdl_1/jobs/job_2'));
    const viaHandler = await tf.loadLayersModel(storeIOHandler(store, 'models/mdl_1/jobs/job_2'));
    assert.deepEqual(await predictions(viaHandler, x), expected);

    for (const m of [model, loaded, viaHandler]) m.dispose();
    x.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it('accepts weights handed over in shards', async () => {
    const before = tf.memory().numTensors;
    const model = smallModel();
    const x = tf.tensor2d([[1, 2, 3, 4]]);
    const expected = await predictions(model, x);
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    assert.ok(saved?.weightData);
    const whole = tf.io.CompositeArrayBuffer.join(saved.weightData);
    const cut = 28;
    const trainingConfig = { loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'], optimizer_config: { class_name: 'SGD', config: { learningRate: 0.1 } } };
    await saveModelArtifacts(store, 'models/sharded', { ...saved, trainingConfig, weightData: [whole.slice(0, cut), whole.slice(cut)] });
    assert.equal((await store.getFile('models/sharded', 'weights.bin')).byteLength, whole.byteLength);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(await loadModelArtifacts(store, 'models/sharded')));
    assert.deepEqual(await predictions(loaded, x), expected);
    // The training config came along: the loaded model is compiled with it.
    assert.equal(loaded.loss, 'sparseCategoricalCrossentropy');
    assert.equal(loaded.optimizer.getClassName(), 'SGD');
    model.dispose();
    // A model compiled by loadLayersModel does not own its optimizer, so disposing it leaves the optimizer.
    loaded.optimizer.dispose();
    loaded.dispose();
    x.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it('answers 404 for a missing model', async () => {
    await assert.rejects(loadModelArtifacts(store, 'models/none'), isNotFound);
  });
});
