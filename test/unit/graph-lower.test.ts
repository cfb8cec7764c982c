import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canLower, lowerModel } from '../../src/graph/index.js';
import { configProto, threadsFor } from '../../src/graph/session-config.js';
import { GraphSession, tensor } from '../../src/graph/session.js';
import { LOWERINGS } from '../../src/graph/layers.js';
import { LAYER_TYPES, LossSchema, MetricSchema, parseModelDefinition, planModel } from '../../src/models/index.js';

function definition(layers: unknown[], compile: Record<string, unknown> = {}) {
  return parseModelDefinition({
    architecture: { type: 'sequential', input_shape: [8, 8, 1], layers },
    compile: { loss: 'sparse_categorical_crossentropy', ...compile },
  });
}

const head = [{ type: 'Flatten' }, { type: 'Dense', units: 2, activation: 'softmax' }];

describe('canLower', () => {
  it('accepts the seed MNIST CNN', () => {
    const cnn = definition(
      [
        { type: 'Rescaling', scale: 1 / 255 },
        { type: 'Conv2D', filters: 4, kernel_size: 3, activation: 'relu' },
        { type: 'MaxPooling2D' },
        { type: 'Dropout', rate: 0.5 },
        ...head,
      ],
      { optimizer: 'adam', metrics: ['accuracy'] },
    );
    assert.deepEqual(canLower(cnn), { ok: true });
  });

  it('has a lowering for every catalogue layer', () => {
    assert.deepEqual(
      LAYER_TYPES.filter((type) => !LOWERINGS.has(type)),
      [],
    );
  });

  it('names the argument that does not lower', () => {
    const result = canLower(definition([{ type: 'Conv2D', filters: 2, kernel_size: 3, data_format: 'channels_first' }, ...head]));
    assert.ok(!result.ok && result.path === 'architecture.layers[0].data_format', JSON.stringify(result));
    const masked = canLower(
      parseModelDefinition({
        architecture: { type: 'sequential', input_shape: [5], layers: [{ type: 'Embedding', input_dim: 9, output_dim: 2, mask_zero: true }, { type: 'LSTM', units: 2 }] },
        compile: { loss: 'mse' },
      }),
    );
    assert.ok(!masked.ok && masked.path === 'architecture.layers[0].mask_zero' && /Embedding/.test(masked.reason), JSON.stringify(masked));
  });

  it('lowers every loss and metric the model language accepts', () => {
    for (const loss of LossSchema.options) assert.deepEqual(canLower(definition(head, { loss })), { ok: true }, `loss ${loss}`);
    for (const metric of MetricSchema.options) assert.deepEqual(canLower(definition(head, { metrics: [metric] })), { ok: true }, `metric ${metric}`);
  });

  it("lowers every optimizer, by name and with each of its own arguments", () => {
    const names = ['sgd', 'SGD', 'adam', 'Adam', 'rmsprop', 'RMSprop', 'adagrad', 'Adagrad', 'adadelta', 'Adadelta', 'adamax', 'Adamax'];
    for (const optimizer of names) assert.deepEqual(canLower(definition(head, { optimizer })), { ok: true }, optimizer);
    const objects = [
      { type: 'sgd', learning_rate: 0.1, momentum: 0.9, nesterov: true },
      { type: 'adam', beta_1: 0.8, beta_2: 0.99, epsilon: 1e-6, amsgrad: false },
      { type: 'rmsprop', rho: 0.8, momentum: 0.5, centered: false },
      { type: 'adagrad', initial_accumulator_value: 0.5 },
      { type: 'adadelta', learning_rate: 1, rho: 0.9, epsilon: 1e-6 },
      { type: 'adamax', beta_1: 0.8, beta_2: 0.99, epsilon: 1e-6 },
      { type: 'adam', name: 'mine', weight_decay: null, clipnorm: null, clipvalue: null, global_clipnorm: null, use_ema: false },
    ];
    for (const optimizer of objects) assert.deepEqual(canLower(definition(head, { optimizer })), { ok: true }, JSON.stringify(optimizer));
  });

  it('names an optimizer whose arguments do not lower', () => {
    // An argument the schema refuses today at any value but its "off" one: it must keep the model off the graph if it ever passes.
    const def = definition(head, { optimizer: 'adam' });
    assert.ok(def.compile);
    def.compile.optimizer = { type: 'adam', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, clipnorm: 1 };
    const result = canLower(def);
    assert.ok(!result.ok && result.path === 'compile.optimizer' && /adam/.test(result.reason), JSON.stringify(result));
  });

  it('refuses an uncompiled model', () => {
    const result = canLower(parseModelDefinition({ architecture: { type: 'sequential', layers: head } }));
    assert.ok(!result.ok && result.path === 'compile');
  });
});

describe('session threads', () => {
  it('one thread for dense models, every core for convolutions', () => {
    assert.deepEqual(threadsFor(false), { intraOp: 1, interOp: 1 });
    assert.deepEqual(threadsFor(true), { intraOp: 0, interOp: 0 });
  });

  it('encodes the thread counts as ConfigProto fields 2 and 5', () => {
    assert.deepEqual([...configProto({ intraOp: 1, interOp: 1 })], [0x10, 1, 0x28, 1]);
    assert.deepEqual([...configProto({ intraOp: 300, interOp: 0 })], [0x10, 0xac, 0x02]);
    assert.deepEqual([...configProto({ intraOp: 0, interOp: 0 })], []);
  });
});

describe('Dropout in the two passes', () => {
  it('drops about `rate` of the values and rescales the rest in training, and is the identity in inference', async () => {
    const def = parseModelDefinition({
      architecture: { type: 'sequential', input_shape: [4], layers: [{ type: 'Dense', units: 50, kernel_initializer: 'ones' }, { type: 'Dropout', rate: 0.3 }] },
      compile: { loss: 'mse', optimizer: 'sgd' },
    });
    const plan = planModel(def, { maxParams: 1e6, maxLayers: 10 });
    assert.ok(plan && def.compile);
    const lowered = lowerModel(plan, def.compile, [50], 7);
    const session = new GraphSession(lowered, threadsFor(false));
    try {
      await session.loadWeights(lowered.store.weights.map((w) => (w.weight === 'kernel' ? new Float32Array(200).fill(1) : new Float32Array(50))));
      const rows = 200;
      const x = tensor(new Float32Array(rows * 4).fill(0.25), [rows, 4]);
      const [trained, inferred] = await session.run([[lowered.x, x]], [lowered.trainPrediction, lowered.prediction]);
      assert.ok(inferred && trained);
      assert.ok(inferred.data.every((v) => v === 1), 'inference passes the Dense output (1 everywhere) through');
      const zeros = [...trained.data].filter((v) => v === 0).length / trained.data.length;
      assert.ok(Math.abs(zeros - 0.3) < 0.03, `dropped ${zeros} of the values`);
      assert.ok([...trained.data].every((v) => v === 0 || Math.abs((v as number) - 1 / 0.7) < 1e-6), 'kept values are scaled by 1 / (1 - rate)');
      const [again] = await session.run([[lowered.x, x]], [lowered.trainPrediction]);
      assert.notDeepEqual(again?.data, trained.data, 'each step draws a new mask');
    } finally {
      session.close();
    }
  });
});

describe('LSTM and GRU dropout in the two passes', () => {
  for (const type of ['LSTM', 'GRU']) {
    it(`${type}: masks in training only, drawn anew each step; inference is the model without dropout`, async () => {
      const lower = (dropout: number, recurrentDropout: number) => {
        const def = parseModelDefinition({
          architecture: {
            type: 'sequential',
            input_shape: [6, 3],
            layers: [{ type, units: 4, return_sequences: true, dropout, recurrent_dropout: recurrentDropout, ...(type === 'GRU' ? { reset_after: false } : {}) }],
          },
          compile: { loss: 'mse', optimizer: 'sgd' },
        });
        const plan = planModel(def, { maxParams: 1e6, maxLayers: 10 });
        assert.ok(plan && def.compile);
        return lowerModel(plan, def.compile, [6, 4], 7);
      };
      const dropping = lower(0.5, 0.3);
      const plain = lower(0, 0);
      const sessions = [new GraphSession(dropping, threadsFor(false)), new GraphSession(plain, threadsFor(false))] as const;
      try {
        const weights = dropping.store.weights.map((w, i) => Float32Array.from({ length: w.shape.reduce((a, c) => a * c, 1) }, (_, k) => Math.sin(k * 0.7 + i)));
        for (const session of sessions) await session.loadWeights(weights);
        const x = tensor(Float32Array.from({ length: 8 * 6 * 3 }, (_, k) => Math.cos(k * 0.3)), [8, 6, 3]);
        const [trained, inferred] = await sessions[0].run([[dropping.x, x]], [dropping.trainPrediction, dropping.prediction]);
        const [reference] = await sessions[1].run([[plain.x, x]], [plain.prediction]);
        assert.ok(trained && inferred && reference);
        assert.deepEqual([...inferred.data], [...reference.data], 'the inference pass ignores dropout');
        assert.notDeepEqual([...trained.data], [...inferred.data], 'the training pass drops');
        const [again] = await sessions[0].run([[dropping.x, x]], [dropping.trainPrediction]);
        assert.notDeepEqual([...(again?.data ?? [])], [...trained.data], 'each step draws new masks');
      } finally {
        for (const session of sessions) session.close();
      }
    });
  }
});
