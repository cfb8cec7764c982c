/**
 * The plain TensorFlow.js script the service is measured against: the same
 * data, model, optimizer and fit settings, built with `tf.layers` and trained
 * with `model.fit` directly, in a process of its own.
 *
 *   node --import tsx bench/tfjs-fit.ts SPEC.json   → one line of JSON on stdout
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { loadBuiltin } from '../src/datasets/builtins.js';
import { datasetFromCsv } from '../src/datasets/csv.js';
import type { Dataset } from '../src/datasets/types.js';
import { selectBackend, type BackendName } from '../src/tf/backend.js';
import type { CaseSpec, DataSpec, LayerSpec } from './cases.js';
import { standardScaler, trainValidationSplit, type Arrays } from './fit-data.js';
import { procMemoryMb } from './proc.js';

type Factory = (args: Record<string, unknown>) => tf.layers.Layer;

const FACTORIES: Record<string, Factory> = {
  Dense: tf.layers.dense as unknown as Factory,
  Activation: tf.layers.activation as unknown as Factory,
  Rescaling: tf.layers.rescaling as unknown as Factory,
  Flatten: tf.layers.flatten as unknown as Factory,
  Reshape: tf.layers.reshape as unknown as Factory,
  Conv2D: tf.layers.conv2d as unknown as Factory,
  MaxPooling2D: tf.layers.maxPooling2d as unknown as Factory,
  Dropout: tf.layers.dropout as unknown as Factory,
};

const LOSSES: Record<string, string> = {
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  mse: 'meanSquaredError',
};

const camel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function layer(spec: LayerSpec, inputShape: number[] | undefined): tf.layers.Layer {
  const { type, ...args } = spec;
  const factory = FACTORIES[type];
  if (!factory) throw new Error(`tfjs-fit: no factory for layer ${type}`);
  const tfArgs: Record<string, unknown> = Object.fromEntries(Object.entries(args).map(([key, value]) => [camel(key), value]));
  if (inputShape) tfArgs.inputShape = inputShape;
  return factory(tfArgs);
}

// Keras's defaults, which the service also uses; tfjs's own differ in epsilon.
function optimizer(name: CaseSpec['compile']['optimizer']): tf.Optimizer {
  return name === 'adam' ? tf.train.adam(0.001, 0.9, 0.999, 1e-7) : tf.train.rmsprop(0.001, 0.9, 0, 1e-7);
}

function load(data: DataSpec): Dataset {
  if (data.kind === 'builtin') return loadBuiltin(data.builtin, data.split, data.limit);
  return datasetFromCsv(readFileSync(data.path), { target: [data.target] });
}

function toTensor(a: Arrays['x']): tf.Tensor {
  return tf.tensor(a.data instanceof Float32Array ? a.data : Float32Array.from(a.data), a.shape, 'float32');
}

const kerasKey = (key: string) => key.replace(/^(val_)?acc$/, '$1accuracy');

async function main(): Promise<void> {
  const specPath = process.argv[2];
  if (!specPath) throw new Error('usage: tfjs-fit.ts SPEC.json');
  const spec = JSON.parse(readFileSync(specPath, 'utf8')) as CaseSpec;
  await selectBackend(process.env.TF_BACKEND as BackendName | undefined);

  const started = performance.now();
  const dataset = load(spec.data);
  const split = trainValidationSplit({ x: dataset.x, y: dataset.y }, spec.fit.validation_split);
  const scaled = spec.standardize ? standardScaler(split) : split;
  const x = toTensor(scaled.train.x);
  const y = toTensor(scaled.train.y);
  const validationData: [tf.Tensor, tf.Tensor] = [toTensor(scaled.validation.x), toTensor(scaled.validation.y)];

  const inputShape = scaled.train.x.shape.slice(1);
  const model = tf.sequential({ layers: spec.layers.map((l, i) => layer(l, i === 0 ? inputShape : undefined)) });
  model.compile({
    optimizer: optimizer(spec.compile.optimizer),
    loss: LOSSES[spec.compile.loss] ?? spec.compile.loss,
    metrics: spec.compile.metrics,
  });

  const fitStarted = performance.now();
  const history = await model.fit(x, y, {
    epochs: spec.fit.epochs,
    batchSize: spec.fit.batch_size,
    validationData,
    shuffle: true,
    verbose: 0,
  });
  const finished = performance.now();

  const metrics: Record<string, number> = {};
  for (const [key, values] of Object.entries(history.history)) {
    const last = values.at(-1);
    if (typeof last === 'number') metrics[kerasKey(key)] = last;
  }
  const fitSeconds = (finished - fitStarted) / 1000;
  const trainSamples = scaled.train.x.shape[0] ?? 0;
  process.stdout.write(
    `${JSON.stringify({
      total_s: (finished - started) / 1000,
      fit_s: fitSeconds,
      samples_per_s: (trainSamples * spec.fit.epochs) / fitSeconds,
      metrics,
      peak_rss_mb: procMemoryMb('self', 'VmHWM'),
      train_samples: trainSamples,
      validation_samples: scaled.validation.x.shape[0] ?? 0,
    })}\n`,
  );
  tf.dispose([x, y, ...validationData]);
  model.dispose();
}

await main();
