import { describe, it } from 'node:test';
import { checkGradient } from '../support/graph-gradient.js';
import { dataset, seeded } from '../support/graph.js';

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
