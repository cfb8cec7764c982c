import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHECKPOINT_JSON, CHECKPOINT_TENSORS, checkpointDue, decodeCheckpoint, encodeCheckpoint, type TrainingCheckpoint } from '../../src/worker/checkpoint.js';

function decode(checkpoint: TrainingCheckpoint, edit: (tensors: Uint8Array) => Uint8Array = (t) => t): TrainingCheckpoint {
  const files = encodeCheckpoint(checkpoint);
  return decodeCheckpoint({ json: files[CHECKPOINT_JSON] as Uint8Array, tensors: edit(files[CHECKPOINT_TENSORS] as Uint8Array) });
}

const checkpoint: TrainingCheckpoint = {
  epoch: 3,
  engine: 'graph',
  history: { loss: [0.9, Number.NaN, 0.4], val_loss: [1, 0.8, 0.7] },
  weights: [
    { name: 'weight_0', dtype: 'float32', shape: [2, 2], data: Float32Array.of(1, -2, 3.5, 4) },
    { name: 'weight_1', dtype: 'float32', shape: [2], data: Float32Array.of(0.25, 0) },
  ],
  optimizer: [
    { name: 'iteration', dtype: 'int32', shape: [], data: Int32Array.of(27) },
    { name: 'dense/kernel/m', dtype: 'float32', shape: [2, 2], data: Float32Array.of(0.1, 0.2, 0.3, 0.4) },
  ],
  earlyStopping: { best: 0.4, wait: 1, bestWeights: [{ name: 'weight_0', dtype: 'float32', shape: [1], data: Float32Array.of(7) }] },
};

describe('checkpoint files', () => {
  it('read back as they were written: tensors of both dtypes, a diverged loss, early stopping with its best weights', () => {
    assert.deepEqual(decode(checkpoint), checkpoint);
    const bare = { ...checkpoint, engine: 'eager' as const, optimizer: null, earlyStopping: null };
    assert.deepEqual(decode(bare), bare);
    const none = { ...checkpoint, earlyStopping: { best: null, wait: 0, bestWeights: null } };
    assert.deepEqual(decode(none), none);
  });

  it('refuse a tensor file that does not match the description', () => {
    assert.throws(() => decode(checkpoint, (t) => t.subarray(0, t.byteLength - 4)), /shorter/);
    assert.throws(() => decode(checkpoint, (t) => Uint8Array.from([...t, 0, 0, 0, 0])), /longer/);
  });
});

describe('checkpointDue', () => {
  it('follows every N epochs, the time since the last checkpoint, either, or neither', () => {
    const every = { everyEpochs: 5, afterMs: 0 };
    assert.deepEqual([1, 4, 5, 6, 10].map((epoch) => checkpointDue(every, epoch, 1e9)), [false, false, true, false, true]);
    const timed = { everyEpochs: 0, afterMs: 60_000 };
    assert.equal(checkpointDue(timed, 1, 59_999), false);
    assert.equal(checkpointDue(timed, 1, 60_000), true);
    assert.equal(checkpointDue({ everyEpochs: 5, afterMs: 60_000 }, 3, 61_000), true);
    assert.equal(checkpointDue({ everyEpochs: 0, afterMs: 0 }, 5, 1e9), false);
  });
});
