import { before, describe, it } from 'node:test';
import { selectBackend } from '../../src/tf/backend.js';
import { dataset, seeded } from '../support/graph.js';
import { assertParity, type Case } from '../support/graph-parity.js';

before(async () => {
  await selectBackend('tensorflow');
});

const classes3 = (x: Float32Array) => [(x[0] as number) + (x[1] as number) > 0.3 ? 2 : (x[0] as number) > 0 ? 1 : 0];
const classification = dataset(23, [4], [1], classes3);
const regression = dataset(23, [4], [2], (x) => [(x[0] as number) * 2 - (x[1] as number), Math.sin(x[2] as number) + (x[3] as number)]);
const positive = dataset(23, [4], [2], (x) => [1 + (x[0] as number), 2 + (x[1] as number) * (x[2] as number)]);

const denseClassifier = (extra: Record<string, unknown> = {}) => [
  { type: 'Dense', units: 8, activation: 'relu', kernel_initializer: seeded(11), ...extra },
  { type: 'Dense', units: 3, activation: 'softmax', kernel_initializer: seeded(12) },
];

// adadelta: the eager engine's is the service's own (src/models/compile/adadelta.ts), with Keras 3's rule, not
// tfjs's; both engines' steps are also checked against Keras's own in test/integration/graph-keras-compile.test.ts.
describe('graph engine parity with the eager engine: optimizers', () => {
  const optimizers: [string, unknown, number?][] = [
    ['sgd', 'sgd'],
    ['sgd with momentum', { type: 'sgd', learning_rate: 0.05, momentum: 0.9 }],
    ['sgd with nesterov momentum', { type: 'sgd', learning_rate: 0.05, momentum: 0.9, nesterov: true }],
    ['rmsprop', 'rmsprop', 5e-4],
    ['rmsprop with momentum', { type: 'rmsprop', learning_rate: 0.01, momentum: 0.5 }, 5e-4],
    ['adam', { type: 'adam', learning_rate: 0.01 }, 5e-4],
    ['adagrad', { type: 'adagrad', learning_rate: 0.05, initial_accumulator_value: 0.2 }],
    ['adadelta', { type: 'adadelta', learning_rate: 1, rho: 0.9, epsilon: 1e-4 }],
    ['adamax', { type: 'adamax', learning_rate: 0.01 }, 5e-4],
  ];
  for (const [name, optimizer, weightAtol] of optimizers) {
    it(name, () =>
      assertParity({
        input_shape: [4],
        layers: denseClassifier(),
        compile: { optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
        data: classification,
        ...(weightAtol ? { weightAtol } : {}),
      }));
  }
});

// huber is left out: the eager engine cannot train it (tfjs has no gradient for the LessEqual in its tf.where);
// the graph's huber is checked against finite differences in test/unit/graph-gradients.test.ts.
describe('graph engine parity with the eager engine: losses and metrics', () => {
  const regressionModel = (activation = 'linear') => [
    { type: 'Dense', units: 6, activation: 'tanh', kernel_initializer: seeded(21) },
    { type: 'Dense', units: 2, activation, kernel_initializer: seeded(22) },
  ];
  const sgd = { type: 'sgd', learning_rate: 0.05 };
  const cases: [string, Case][] = [
    ['mean_squared_error with mae and mse metrics', { layers: regressionModel(), compile: { optimizer: sgd, loss: 'mse', metrics: ['mae', 'mse'] }, data: regression }],
    ['labels of one value per sample for a one-unit output', {
      layers: [{ type: 'Dense', units: 6, activation: 'relu', kernel_initializer: seeded(23) }, { type: 'Dense', units: 1, kernel_initializer: seeded(24) }],
      compile: { optimizer: sgd, loss: 'mse', metrics: ['mae'] },
      data: dataset(23, [4], [], (x) => [(x[0] as number) * 2 - (x[1] as number)]),
      fit: { validation_split: 0.25 },
    }],
    ['binary labels of one value per sample', {
      layers: [{ type: 'Dense', units: 5, activation: 'tanh', kernel_initializer: seeded(25) }, { type: 'Dense', units: 1, activation: 'sigmoid', kernel_initializer: seeded(26) }],
      compile: { optimizer: sgd, loss: 'binary_crossentropy', metrics: ['accuracy'] },
      data: dataset(23, [4], [], (x) => [(x[0] as number) > 0 ? 1 : 0]),
    }],
    ['mean_absolute_error', { layers: regressionModel(), compile: { optimizer: sgd, loss: 'mae', metrics: ['mape'] }, data: positive }],
    ['mean_absolute_percentage_error', { layers: regressionModel('softplus'), compile: { optimizer: sgd, loss: 'mape' }, data: positive }],
    ['mean_squared_logarithmic_error', { layers: regressionModel('softplus'), compile: { optimizer: sgd, loss: 'msle', metrics: ['msle'] }, data: positive }],
    ['log_cosh', { layers: regressionModel(), compile: { optimizer: sgd, loss: 'log_cosh', metrics: ['log_cosh_error'] }, data: regression }],
    ['poisson', { layers: regressionModel('softplus'), compile: { optimizer: sgd, loss: 'poisson', metrics: ['poisson'] }, data: positive }],
    [
      'sparse_categorical_crossentropy with accuracy variants',
      {
        layers: denseClassifier(),
        compile: { optimizer: sgd, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy', 'sparse_categorical_accuracy', 'sparse_categorical_crossentropy'] },
        data: classification,
      },
    ],
    [
      'categorical_crossentropy with one-hot labels',
      {
        layers: denseClassifier(),
        compile: { optimizer: sgd, loss: 'categorical_crossentropy', metrics: ['accuracy', 'categorical_accuracy', 'kl_divergence'] },
        data: dataset(23, [4], [3], (x) => [0, 1, 2].map((k) => (classes3(x)[0] === k ? 1 : 0))),
      },
    ],
    [
      'kl_divergence',
      {
        layers: denseClassifier(),
        compile: { optimizer: sgd, loss: 'kl_divergence' },
        data: dataset(23, [4], [3], (x) => {
          const e = [0, 1, 2].map((k) => Math.exp((x[k] as number) * 2));
          const sum = e.reduce((a, b) => a + b, 0);
          return e.map((v) => v / sum);
        }),
      },
    ],
    [
      'hinge on 0/1 labels, which become -1/1, with squared_hinge and hinge metrics',
      {
        layers: regressionModel('tanh'),
        compile: { optimizer: sgd, loss: 'hinge', metrics: ['hinge', 'squared_hinge'] },
        data: dataset(23, [4], [2], (x) => [(x[0] as number) > 0 ? 1 : 0, (x[1] as number) > (x[2] as number) ? 1 : 0]),
      },
    ],
    [
      'squared_hinge on -1/1 labels',
      {
        layers: regressionModel('tanh'),
        compile: { optimizer: sgd, loss: 'squared_hinge', metrics: ['squared_hinge'] },
        data: dataset(23, [4], [2], (x) => [(x[0] as number) > 0 ? 1 : -1, (x[3] as number) > 0.2 ? 1 : -1]),
      },
    ],
    [
      'categorical_hinge with one-hot labels',
      {
        layers: denseClassifier(),
        compile: { optimizer: sgd, loss: 'categorical_hinge', metrics: ['categorical_hinge', 'categorical_crossentropy'] },
        data: dataset(23, [4], [3], (x) => [0, 1, 2].map((k) => (classes3(x)[0] === k ? 1 : 0))),
      },
    ],
    [
      'cosine_similarity with its metric',
      { layers: regressionModel(), compile: { optimizer: sgd, loss: 'cosine_similarity', metrics: ['cosine_similarity', 'mae'] }, data: regression },
    ],
    [
      'binary_crossentropy on one sigmoid unit',
      {
        layers: [
          { type: 'Dense', units: 5, activation: 'relu', kernel_initializer: seeded(31) },
          { type: 'Dense', units: 1, activation: 'sigmoid', kernel_initializer: seeded(32) },
        ],
        compile: { optimizer: sgd, loss: 'binary_crossentropy', metrics: ['accuracy', 'binary_accuracy', 'bce'] },
        data: dataset(23, [4], [1], (x) => [(x[0] as number) > (x[1] as number) ? 1 : 0]),
      },
    ],
    [
      'binary_crossentropy on probabilities without a sigmoid',
      {
        layers: [
          { type: 'Dense', units: 5, activation: 'relu', kernel_initializer: seeded(31) },
          { type: 'Dense', units: 2, activation: 'softmax', kernel_initializer: seeded(32) },
        ],
        compile: { optimizer: sgd, loss: 'binary_crossentropy', metrics: ['binary_accuracy'] },
        data: dataset(23, [4], [2], (x) => ((x[0] as number) > 0 ? [1, 0] : [0, 1])),
      },
    ],
  ];
  for (const [name, c] of cases) it(name, () => assertParity({ input_shape: [4], ...c }));
});

describe('graph engine parity with the eager engine: activations', () => {
  const names = ['linear', 'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'tanh', 'softmax', 'log_softmax', 'softplus', 'softsign', 'swish', 'silu', 'gelu', 'mish'];
  for (const activation of names) {
    it(activation, () =>
      assertParity({
        input_shape: [4],
        layers: [
          { type: 'Dense', units: 5, activation, kernel_initializer: seeded(41) },
          { type: 'Dense', units: 2, kernel_initializer: seeded(42) },
        ],
        compile: { optimizer: { type: 'sgd', learning_rate: 0.05 }, loss: 'mse' },
        data: regression,
      }));
  }
});

describe('graph engine parity with the eager engine: layers', () => {
  const sgd = { type: 'sgd', learning_rate: 0.05 };
  const images = dataset(19, [6, 6, 2], [1], (x) => [(x[0] as number) + (x[7] as number) > 0 ? 1 : 0]);
  const imageHead = [
    { type: 'Flatten' },
    { type: 'Dense', units: 2, activation: 'softmax', kernel_initializer: seeded(52) },
  ];
  const imageCase = (layers: unknown[], optimizer: unknown = sgd): Case => ({
    input_shape: [6, 6, 2],
    layers,
    compile: { optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
    data: images,
  });
  const conv = (extra: Record<string, unknown> = {}) => ({ type: 'Conv2D', filters: 3, kernel_size: 3, activation: 'relu', kernel_initializer: seeded(51), ...extra });
  const cases: [string, Case][] = [
    ['Rescaling, Reshape and Flatten', {
      input_shape: [2, 6],
      layers: [{ type: 'Rescaling', scale: 0.5, offset: 0.1 }, { type: 'Reshape', target_shape: [3, -1] }, { type: 'Flatten' }, ...denseClassifier()],
      compile: { optimizer: sgd, loss: 'sparse_categorical_crossentropy' },
      data: dataset(23, [2, 6], [1], (x) => classes3(x)),
    }],
    ['Dense on a rank-3 input', {
      input_shape: [3, 4],
      layers: [{ type: 'Dense', units: 5, activation: 'relu', kernel_initializer: seeded(61) }, { type: 'Flatten' }, { type: 'Dense', units: 2, kernel_initializer: seeded(62) }],
      compile: { optimizer: sgd, loss: 'mse' },
      data: dataset(23, [3, 4], [2], (x) => [x[0] as number, (x[5] as number) * (x[11] as number)]),
    }],
    ['BatchNormalization with its moving statistics', {
      input_shape: [4],
      layers: [
        { type: 'Dense', units: 6, kernel_initializer: seeded(71) },
        { type: 'BatchNormalization', momentum: 0.8 },
        { type: 'Activation', activation: 'relu' },
        { type: 'Dense', units: 3, activation: 'softmax', kernel_initializer: seeded(72) },
      ],
      compile: { optimizer: sgd, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
      data: classification,
      fit: { validation_split: 0.25 },
    }],
    ['LayerNormalization', {
      input_shape: [4],
      layers: [{ type: 'Dense', units: 6, kernel_initializer: seeded(81) }, { type: 'LayerNormalization' }, ...denseClassifier()],
      compile: { optimizer: sgd, loss: 'sparse_categorical_crossentropy' },
      data: classification,
    }],
    ['Conv2D, valid padding', imageCase([conv(), ...imageHead])],
    ['Conv2D, same padding, strides 2, with adam', { ...imageCase([conv({ padding: 'same', strides: 2 }), ...imageHead], { type: 'adam', learning_rate: 0.01 }), weightAtol: 5e-4 }],
    ['MaxPooling2D', imageCase([conv({ padding: 'same' }), { type: 'MaxPooling2D' }, ...imageHead])],
    ['MaxPooling2D, same padding, strides 1', imageCase([conv(), { type: 'MaxPooling2D', pool_size: 3, strides: 1, padding: 'same' }, ...imageHead])],
    ['AveragePooling2D', imageCase([conv(), { type: 'AveragePooling2D', pool_size: 2 }, ...imageHead])],
    ['AveragePooling2D, same padding', imageCase([conv(), { type: 'AveragePooling2D', pool_size: 3, strides: 2, padding: 'same' }, ...imageHead])],
    ['GlobalAveragePooling2D', imageCase([conv(), { type: 'GlobalAveragePooling2D' }, { type: 'Dense', units: 2, activation: 'softmax', kernel_initializer: seeded(52) }])],
    ['GlobalMaxPooling2D', imageCase([conv(), { type: 'GlobalMaxPooling2D' }, { type: 'Dense', units: 2, activation: 'softmax', kernel_initializer: seeded(52) }])],
    ['Conv1D, MaxPooling1D and AveragePooling1D', {
      input_shape: [9, 2],
      layers: [
        { type: 'Conv1D', filters: 3, kernel_size: 3, activation: 'relu', kernel_initializer: seeded(95) },
        { type: 'MaxPooling1D', pool_size: 2, padding: 'same' },
        { type: 'Conv1D', filters: 2, kernel_size: 2, strides: 2, padding: 'same', kernel_initializer: seeded(96) },
        { type: 'AveragePooling1D', pool_size: 2 },
        { type: 'Flatten' },
        { type: 'Dense', units: 2, kernel_initializer: seeded(97) },
      ],
      compile: { optimizer: sgd, loss: 'mse' },
      data: dataset(23, [9, 2], [2], (x) => [(x[0] as number) + (x[5] as number), (x[11] as number) * (x[16] as number)]),
    }],
    ['GlobalAveragePooling1D and GlobalMaxPooling1D', {
      architecture: {
        type: 'functional',
        inputs: [{ name: 'seq', shape: [5, 3] }],
        layers: [
          { type: 'Dense', name: 'd', units: 4, activation: 'tanh', kernel_initializer: seeded(91), inputs: ['seq'] },
          { type: 'GlobalAveragePooling1D', name: 'avg', inputs: ['d'] },
          { type: 'GlobalMaxPooling1D', name: 'max', inputs: ['d'] },
          { type: 'Concatenate', name: 'both', inputs: ['avg', 'max'] },
          { type: 'Dense', name: 'out', units: 2, kernel_initializer: seeded(92), inputs: ['both'] },
        ],
        outputs: ['out'],
      },
      compile: { optimizer: sgd, loss: 'mse' },
      data: dataset(23, [5, 3], [2], (x) => [x[0] as number, x[14] as number]),
    }],
    ['Add in a functional model', {
      architecture: {
        type: 'functional',
        inputs: [{ name: 'x', shape: [4] }],
        layers: [
          { type: 'Dense', name: 'a', units: 4, activation: 'relu', kernel_initializer: seeded(93), inputs: ['x'] },
          { type: 'Add', name: 'skip', inputs: ['a', 'x'] },
          { type: 'Dense', name: 'out', units: 3, activation: 'softmax', kernel_initializer: seeded(94), inputs: ['skip'] },
        ],
        outputs: ['out'],
      },
      compile: { optimizer: sgd, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
      data: classification,
    }],
    ['kernel and bias regularizers', {
      input_shape: [4],
      layers: [
        { type: 'Dense', units: 8, activation: 'relu', kernel_initializer: seeded(11), kernel_regularizer: 'l2', bias_regularizer: { class_name: 'L1', config: { l1: 0.05 } },
          // Away from |b|'s kink at 0, where tfjs's gradient is −1 and TensorFlow's (Keras's) 0.
          bias_initializer: { class_name: 'Constant', config: { value: 0.1 } } },
        { type: 'Dense', units: 3, activation: 'softmax', kernel_initializer: seeded(12), kernel_regularizer: { class_name: 'L1L2', config: { l1: 0.01, l2: 0.02 } } },
      ],
      compile: { optimizer: sgd, loss: 'sparse_categorical_crossentropy' },
      data: classification,
    }],
    ['a frozen layer', {
      input_shape: [4],
      layers: denseClassifier({ trainable: false }),
      compile: { optimizer: sgd, loss: 'sparse_categorical_crossentropy' },
      data: classification,
    }],
    ['validation_split', {
      input_shape: [4],
      layers: denseClassifier(),
      compile: { optimizer: 'rmsprop', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
      data: classification,
      fit: { validation_split: 0.3, batch_size: 4 },
      weightAtol: 5e-4,
    }],
  ];
  for (const [name, c] of cases) it(name, () => assertParity(c));
});
