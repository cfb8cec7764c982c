import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError, ValidationError, brief } from '../../src/errors.js';
import { parseModelDefinition } from '../../src/models/index.js';

const dense = (extra: Record<string, unknown> = {}) => ({ architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 1, ...extra }] }, compile: { loss: 'mse' } });

function refusal(input: unknown): ValidationError {
  try {
    parseModelDefinition(input);
  } catch (error) {
    assert.ok(error instanceof ValidationError, String(error));
    return error;
  }
  assert.fail('the definition was accepted');
}

test('a long bad value is quoted by its start only, in the message and in its detail', () => {
  const long = `${'a'.repeat(48)}${'b'.repeat(5000)}`;
  const error = refusal({ ...dense(), compile: { loss: long } });
  for (const text of [error.message, error.details[0]?.message ?? '']) {
    assert.ok(text.length < 300, `${text.length} characters`);
    assert.ok(text.includes(`"${'a'.repeat(48)}…"`), text);
    assert.ok(!text.includes('b'.repeat(2)), 'nothing past the excerpt');
  }
});

test('a long unknown key is cut in the path and the message alike', () => {
  const error = refusal(dense({ ['k'.repeat(5000)]: 1 }));
  assert.ok(error.message.length < 300, `${error.message.length} characters`);
  for (const detail of error.details) assert.ok(detail.path.length + detail.message.length < 400, JSON.stringify(detail).slice(0, 200));
});

test('short values, names and the lists of what is allowed are left whole', () => {
  assert.equal(refusal({ ...dense(), compile: { loss: 'nope' } }).message, 'compile.loss: unknown loss "nope"; use a Keras loss name such as mse, binary_crossentropy, sparse_categorical_crossentropy');
  const layers = refusal({ architecture: { type: 'sequential', layers: [{ type: 'Nope' }] }, compile: { loss: 'mse' } }).message;
  assert.ok(layers.endsWith('Concatenate, Add, LSTM, GRU'), layers);
  const name = `model '${'n'.repeat(128)}' not found`;
  assert.equal(new AppError(404, 'not_found', name).message, name, 'a name of the longest length allowed');
});

test('a message is never longer than a thousand characters and an ellipsis', () => {
  const words = Array.from({ length: 2000 }, (_, i) => `w${i}`).join(' ');
  assert.equal(brief(words).length, 1001);
  assert.ok(brief(words).endsWith('…'));
});
