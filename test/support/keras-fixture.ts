import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { canLower, lowerModel } from '../../src/graph/index.js';
import { GraphSession, tensor } from '../../src/graph/session.js';
import { threadsFor } from '../../src/graph/session-config.js';
import { FitSchema } from '../../src/jobs/contract.js';
import { buildModel, parseModelDefinition, planModel, type ModelDefinition } from '../../src/models/index.js';
import type { SavedTensor } from '../../src/worker/checkpoint.js';
import { train } from '../../src/worker/train.js';
import { assertClose } from './graph.js';

// The fixtures that Keras 3 itself wrote (scripts/make-keras-*-fixtures.py): a model definition, data, the
// initial weights, the history of the first steps (one whole-data batch each) and the weights after them.

export interface FixtureWeight {
  layer: string;
  weight: string;
  shape: number[];
  data: number[];
}

export interface FixtureCase {
  name: string;
  definition: unknown;
  x: { shape: number[]; data: number[] };
  y: { shape: number[]; data: number[] };
  initial_weights: FixtureWeight[];
  losses: number[];
  metrics: Record<string, number[]>;
  final_weights: FixtureWeight[];
}

/** What an engine gives after the fixture's steps: its history in Keras's keys, every weight by layer and name. */
export interface StepsResult {
  history: Record<string, number[]>;
  weights: Map<string, Float32Array>;
}

const LIMITS = { maxParams: 1e6, maxLayers: 10 };

type StoredCase = Omit<FixtureCase, 'metrics'> & ({ metrics: Record<string, number[]> } | { accuracy: number[] });

export function readFixture(file: string): FixtureCase[] {
  const { cases } = JSON.parse(readFileSync(new URL(`../fixtures/graph/${file}`, import.meta.url), 'utf8')) as { cases: StoredCase[] };
  // The first fixture, keras-steps.json, gives its one metric as a field of its own.
  return cases.map((c) => ('metrics' in c ? c : { ...c, metrics: { accuracy: c.accuracy } }));
}

function weightOf(weights: FixtureWeight[], layer: string, name: string): FixtureWeight {
  const weight = weights.find((w) => w.layer === layer && w.weight === name);
  assert.ok(weight, `the fixture has no ${layer}/${name}`);
  return weight;
}

/** Every weight the engine holds is within 1e-5 + 1e-3 relative of Keras's after the last step. */
export function assertFinalWeights(result: StepsResult, c: FixtureCase): void {
  for (const [name, value] of result.weights) {
    const [layer, weight] = name.split('/') as [string, string];
    assertClose(value, weightOf(c.final_weights, layer, weight).data, 1e-5, 1e-3, name);
  }
}

/** The fixture's steps on the graph engine, from its initial weights. */
export async function graphSteps(c: FixtureCase): Promise<StepsResult> {
  const definition = parseModelDefinition(c.definition);
  assert.deepEqual(canLower(definition), { ok: true });
  const plan = planModel(definition, LIMITS);
  assert.ok(plan && definition.compile);
  const lowered = lowerModel(plan, definition.compile, c.y.shape.slice(1));
  const session = new GraphSession(lowered, threadsFor(lowered.convolution));
  try {
    await session.loadWeights(lowered.store.weights.map((w) => Float32Array.from(weightOf(c.initial_weights, w.layer, w.weight).data)));
    const x = tensor(Float32Array.from(c.x.data), c.x.shape);
    const y = tensor(Float32Array.from(c.y.data), c.y.shape);
    const history: Record<string, number[]> = Object.fromEntries(lowered.logKeys.map((key) => [key, []]));
    for (let step = 1; step <= c.losses.length; step++) {
      const values = await session.run(
        [[lowered.x, x], [lowered.y, y], [lowered.iteration, tensor(Float32Array.of(step), [])]],
        lowered.trainFetches,
        [lowered.trainStep],
      );
      values.forEach((value, i) => history[lowered.logKeys[i] as string]?.push(value.data[0] as number));
    }
    const final = await session.fetchWeights();
    const weights = new Map(lowered.store.weights.map((w, i) => [`${w.layer}/${w.weight}`, final[i] as Float32Array]));
    return { history, weights };
  } finally {
    session.close();
  }
}

/** Every weight of a tfjs model as `layer/weight`, in `model.weights` order. */
function weightNames(model: tf.LayersModel): string[] {
  const names = new Map<number, string>();
  for (const layer of model.layers) for (const weight of layer.weights) names.set(weight.id, `${layer.name}/${weight.originalName.split('/').at(-1)}`);
  return model.weights.map((weight) => names.get(weight.id) as string);
}

/** The fixture's steps on the eager engine (`train`, as a job runs it), from its initial weights. */
export async function eagerSteps(c: FixtureCase): Promise<StepsResult> {
  const definition: ModelDefinition = parseModelDefinition(c.definition);
  const inputShape = c.x.shape.slice(1);
  const order = tf.tidy(() => {
    const model = buildModel(definition, LIMITS, inputShape);
    const names = weightNames(model);
    model.dispose();
    return names;
  });
  const initial: SavedTensor[] = order.map((name, i) => {
    const [layer, weight] = name.split('/') as [string, string];
    const saved = weightOf(c.initial_weights, layer, weight);
    return { name: `weight_${i}`, dtype: 'float32', shape: saved.shape, data: Float32Array.from(saved.data) };
  });
  const n = c.x.shape[0] as number;
  const result = await train({
    definition,
    dataset: {
      x: { data: Float32Array.from(c.x.data), shape: c.x.shape, dtype: 'float32' },
      y: { data: Float32Array.from(c.y.data), shape: c.y.shape, dtype: 'float32' },
    },
    fit: FitSchema.parse({ epochs: c.losses.length, batch_size: n, shuffle: false }),
    limits: LIMITS,
    // The fixture's initial weights go in as a checkpoint at epoch 0 (with no optimizer state: it starts afresh).
    resume: { epoch: 0, engine: 'graph', history: {}, weights: initial, optimizer: null, earlyStopping: null },
  });
  try {
    const names = weightNames(result.model);
    const weights = new Map(result.model.weights.map((weight, i) => [names[i] as string, Float32Array.from(weight.read().dataSync())]));
    return { history: result.history, weights };
  } finally {
    result.model.dispose();
  }
}
