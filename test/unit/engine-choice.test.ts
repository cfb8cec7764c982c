import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseModelDefinition } from '../../src/models/index.js';
import { GraphEngineUnavailable, chooseEngine } from '../../src/worker/engine.js';

const dense = parseModelDefinition({
  name: 'dense',
  architecture: { type: 'sequential', input_shape: [4], layers: [{ type: 'Dense', units: 3, activation: 'softmax' }] },
  compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
});
const recurrent = parseModelDefinition({
  name: 'recurrent',
  architecture: {
    type: 'sequential',
    input_shape: [5],
    layers: [{ type: 'Embedding', input_dim: 10, output_dim: 4, mask_zero: true }, { type: 'LSTM', units: 3 }],
  },
  compile: { optimizer: 'adam', loss: 'mse' },
});

test('auto and graph take the graph engine for a model that lowers (the addon is built in this checkout)', () => {
  assert.deepEqual(chooseEngine('auto', dense), { engine: 'graph', note: null });
  assert.deepEqual(chooseEngine('graph', dense), { engine: 'graph', note: null });
});

test('eager is taken as asked, with no note', () => {
  assert.deepEqual(chooseEngine('eager', dense), { engine: 'eager', note: null });
  assert.deepEqual(chooseEngine('eager', recurrent), { engine: 'eager', note: null });
});

test('auto falls back to eager for a model that does not lower, naming the argument by its path', () => {
  const choice = chooseEngine('auto', recurrent);
  assert.equal(choice.engine, 'eager');
  assert.match(choice.note ?? '', /layers\[0\]\.mask_zero.*Embedding/);
});

test('graph for a model that does not lower is refused, naming the argument', () => {
  assert.throws(() => chooseEngine('graph', recurrent), (error) => error instanceof GraphEngineUnavailable && /mask_zero/.test(error.message));
});
