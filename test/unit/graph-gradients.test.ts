import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dataset } from '../../src/datasets/types.js';
import { canLower, lowerModel } from '../../src/graph/index.js';
import { GraphSession, tensor } from '../../src/graph/session.js';
import { parseModelDefinition, planModel } from '../../src/models/index.js';
import { assertClose, dataset, floats, seeded } from '../support/graph.js';

// Gradients in the graph against central finite differences of the loss. The gradient is read off one plain
// SGD step with learning rate 1 (w − w' = ∇L), the loss from the inference pass (the same function here:
// no Dropout, no BatchNormalization). Float32 with h = 1e-2: agreement within 2e-3 + 2e-2 relative.
const H = 1e-2;

async function checkGradient(layers: unknown[], loss: string, data: Dataset, start: 'random' | 'zeros' = 'random'): Promise<void> {
  const definition = parseModelDefinition({
    architecture: { type: 'sequential', input_shape: data.x.shape.slice(1), layers },
    compile: { optimizer: { type: 'sgd', learning_rate: 1 }, loss },
  });
  const lowers = canLower(definition);
  assert.ok(lowers.ok);
  const plan = planModel(definition, { maxParams: 1e6, maxLayers: 10 });
  assert.ok(plan && definition.compile);
  const lowered = lowerModel(plan, definition.compile, data.y.shape.slice(1), 1);
  const session = new GraphSession(lowered, { intraOp: 1, interOp: 1 });
  try {
    const initial = lowered.store.weights.map((w, i) => (start === 'zeros' ? new Float32Array(w.shape.reduce((a, c) => a * c, 1)) : floats(w.shape, 100 + i, -0.5, 0.5)));
    const feeds = [
      [lowered.x, tensor(data.x.data as Float32Array, data.x.shape)],
      [lowered.y, tensor(data.y.data as Float32Array, data.y.shape)],
    ] as const;
    const lossAt = async (weights: Float32Array[]) => {
      await session.loadWeights(weights);
      const [value] = await session.run(feeds, [lowered.evalFetches[0] as NonNullable<(typeof lowered.evalFetches)[0]>]);
      return value?.data[0] as number;
    };

    await session.loadWeights(initial);
    await session.run([...feeds, [lowered.iteration, tensor(Float32Array.of(1), [])]], [], [lowered.trainStep]);
    const stepped = await session.fetchWeights();

    for (const [v, weight] of initial.entries()) {
      const analytic = weight.map((w, i) => w - (stepped[v] as Float32Array)[i]!);
      const numeric = new Float32Array(weight.length);
      for (let i = 0; i < weight.length; i++) {
        const plus = initial.map((w) => w.slice());
        const minus = initial.map((w) => w.slice());
        (plus[v] as Float32Array)[i]! += H;
        (minus[v] as Float32Array)[i]! -= H;
        numeric[i] = ((await lossAt(plus)) - (await lossAt(minus))) / (2 * H);
      }
      const { layer, weight: name } = lowered.store.weights[v]!;
      assertClose(analytic, numeric, 2e-3, 2e-2, `${loss}: d loss / d ${layer}/${name}`);
    }
  } finally {
    session.close();
  }
}

const classes = dataset(9, [3], [1], (x) => [(x[0] as number) > 0 ? ((x[1] as number) > 0 ? 2 : 1) : 0]);

describe('graph gradients against finite differences', () => {
  it('sparse categorical crossentropy under a softmax: the spliced SparseSoftmaxCrossEntropyWithLogits backward', () =>
    checkGradient(
      [
        { type: 'Dense', units: 4, activation: 'tanh', kernel_initializer: seeded(1) },
        { type: 'Dense', units: 3, activation: 'softmax', kernel_initializer: seeded(2) },
      ],
      'sparse_categorical_crossentropy',
      classes,
    ));

  it('the splice with a regularization term seeded beside it', () =>
    checkGradient(
      [
        { type: 'Dense', units: 4, activation: 'tanh', kernel_initializer: seeded(1), kernel_regularizer: { class_name: 'L2', config: { l2: 0.1 } } },
        { type: 'Dense', units: 3, activation: 'softmax', kernel_initializer: seeded(2), bias_regularizer: { class_name: 'L2', config: { l2: 0.3 } } },
      ],
      'sparse_categorical_crossentropy',
      classes,
    ));

  it('sparse categorical crossentropy on probabilities (no softmax): the registered gradients', () =>
    checkGradient(
      [
        { type: 'Dense', units: 3, activation: 'sigmoid', kernel_initializer: seeded(3) },
      ],
      'sparse_categorical_crossentropy',
      classes,
    ));

  it('binary crossentropy from the sigmoid logits', () =>
    checkGradient(
      [
        { type: 'Dense', units: 4, activation: 'tanh', kernel_initializer: seeded(4) },
        { type: 'Dense', units: 1, activation: 'sigmoid', kernel_initializer: seeded(5) },
      ],
      'binary_crossentropy',
      dataset(9, [3], [1], (x) => [(x[0] as number) > (x[2] as number) ? 1 : 0]),
    ));

  it('binary crossentropy at logits exactly 0, where max(x, 0) and |x| have kinks but the loss has none', () =>
    checkGradient(
      [{ type: 'Dense', units: 1, activation: 'sigmoid' }],
      'binary_crossentropy',
      dataset(9, [3], [1], (x) => [(x[0] as number) > 0 ? 1 : 0]),
      'zeros',
    ));

  it('huber, whose branch condition is kept out of the gradient', () =>
    checkGradient([{ type: 'Dense', units: 2, kernel_initializer: seeded(6) }], 'huber', dataset(9, [3], [2], (x) => [(x[0] as number) * 3, x[1] as number])));

  it('hinge and squared hinge on 0/1 labels, which Keras turns into -1/1 out of the gradient', async () => {
    const binary = dataset(9, [3], [2], (x) => [(x[0] as number) > 0 ? 1 : 0, (x[1] as number) > 0 ? 1 : 0]);
    await checkGradient([{ type: 'Dense', units: 2, activation: 'tanh' }], 'hinge', binary);
    await checkGradient([{ type: 'Dense', units: 2, activation: 'tanh' }], 'squared_hinge', binary);
  });

  it('categorical hinge', () =>
    checkGradient(
      [{ type: 'Dense', units: 3, activation: 'softmax' }],
      'categorical_hinge',
      dataset(9, [3], [3], (x) => [0, 1, 2].map((k) => ((x[0] as number) > 0 ? ((x[1] as number) > 0 ? 2 : 1) : 0) === k ? 1 : 0)),
    ));

  it('cosine similarity, through the L2 normalization', () =>
    checkGradient([{ type: 'Dense', units: 3 }], 'cosine_similarity', dataset(9, [3], [3], (x) => [x[0] as number, (x[1] as number) - (x[2] as number), 0.5])));
});
