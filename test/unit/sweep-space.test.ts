import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../../src/errors.js';
import { bestTrial } from '../../src/sweeps/advance.js';
import { objectiveMode, type Trial } from '../../src/sweeps/record.js';
import { SpaceSchema, applyPoint, checkPathsExist, edgePoints, gridPoints, randomPoints } from '../../src/sweeps/space.js';
import { medianStops } from '../../src/sweeps/trial-runs.js';

const space = (raw: unknown) => SpaceSchema.parse(raw);

test('a grid takes every combination, the last path varying fastest, ranges inclusive by their step', () => {
  const points = gridPoints(space({ 'fit.batch_size': { type: 'choice', values: [8, 16] }, 'architecture.layers[0].units': { type: 'range', min: 2, max: 7, step: 2 } }));
  assert.deepEqual(points, [
    { 'fit.batch_size': 8, 'architecture.layers[0].units': 2 },
    { 'fit.batch_size': 8, 'architecture.layers[0].units': 4 },
    { 'fit.batch_size': 8, 'architecture.layers[0].units': 6 },
    { 'fit.batch_size': 16, 'architecture.layers[0].units': 2 },
    { 'fit.batch_size': 16, 'architecture.layers[0].units': 4 },
    { 'fit.batch_size': 16, 'architecture.layers[0].units': 6 },
  ]);
});

test('a grid refuses continuous distributions and more points than a sweep may have', () => {
  assert.throws(() => gridPoints(space({ 'compile.optimizer.learning_rate': { type: 'uniform', min: 0, max: 1 } })), (e: unknown) => e instanceof ValidationError && /random/.test(e.message));
  const wide = { type: 'range', min: 1, max: 40 };
  assert.throws(() => gridPoints(space({ 'fit.epochs': wide, 'fit.batch_size': wide })), /1600 points/);
  const paths = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`architecture.layers[${i}].units`, { type: 'choice', values: [1] }]));
  assert.throws(() => space(paths), /at most 16 arguments/);
  assert.throws(() => space({ 'fit.epochs': { type: 'choice', values: Array.from({ length: 101 }, (_, i) => i + 1) } }));
});

test('random points are the same for the same seed, differ for another, and stay within their distributions', () => {
  const s = space({
    'fit.batch_size': { type: 'range', min: 4, max: 10, step: 3 },
    'compile.optimizer.learning_rate': { type: 'log_uniform', min: 1e-4, max: 1e-1 },
    'fit.validation_split': { type: 'uniform', min: 0.1, max: 0.3 },
    'architecture.layers[1].activation': { type: 'choice', values: ['relu', 'tanh'] },
  });
  const points = randomPoints(s, 50, 42);
  assert.deepEqual(points, randomPoints(s, 50, 42));
  assert.notDeepEqual(points, randomPoints(s, 50, 43));
  for (const p of points) {
    assert.ok([4, 7, 10].includes(p['fit.batch_size'] as number));
    const lr = p['compile.optimizer.learning_rate'] as number;
    assert.ok(lr >= 1e-4 && lr <= 1e-1);
    const split = p['fit.validation_split'] as number;
    assert.ok(split >= 0.1 && split <= 0.3);
    assert.ok(['relu', 'tanh'].includes(p['architecture.layers[1].activation'] as string));
  }
  assert.ok(new Set(points.map((p) => p['fit.batch_size'])).size === 3);
  assert.deepEqual(edgePoints(s).slice(0, 2), [{ 'fit.batch_size': 4 }, { 'fit.batch_size': 10 }]);
});

test('a point applies to a copy of the base by path; the base is left as it was', () => {
  const base = { architecture: { layers: [{ type: 'Dense', units: 8 }, { type: 'Activation', activation: 'relu' }] }, compile: { optimizer: { type: 'adam', learning_rate: 0.01 } }, fit: { batch_size: 32 } };
  const before = structuredClone(base);
  const applied = applyPoint(base, { 'architecture.layers[0].units': 16, 'compile.optimizer.learning_rate': 0.1, 'fit.batch_size': 4 });
  assert.equal(applied.architecture.layers[0]?.units, 16);
  assert.equal(applied.compile.optimizer.learning_rate, 0.1);
  assert.equal(applied.fit.batch_size, 4);
  assert.deepEqual(base, before);
});

test('a path the base does not set is refused, naming the first part missing', () => {
  const base = { architecture: { layers: [{ type: 'Dense', units: 8 }] }, compile: { optimizer: 'adam' }, fit: { batch_size: 32 } };
  checkPathsExist(base, space({ 'architecture.layers[0].units': { type: 'choice', values: [1] } }));
  for (const [path, missing] of [
    ['architecture.layers[1].units', 'architecture.layers[1]'],
    ['compile.optimizer.learning_rate', 'compile.optimizer.learning_rate'],
    ['fit.batchsize', 'fit.batchsize'],
  ] as const) {
    assert.throws(
      () => checkPathsExist(base, space({ [path]: { type: 'choice', values: [1] } })),
      (e: unknown) => e instanceof ValidationError && e.details[0]?.path === `space.${path}` && e.message.includes(`sets no ${missing};`),
    );
  }
  assert.throws(() => space({ 'model.units': { type: 'choice', values: [1] } }));
});

const trial = (index: number, status: Trial['status'], history: number[]): Trial => ({
  index,
  params: {},
  status,
  job_id: `job_${index}`,
  objective: history.at(-1) ?? null,
  objective_history: history,
  version: status === 'completed' ? index + 1 : null,
  error: null,
});

test('the median rule stops a trial worse than the median of completed trials at that epoch, once enough have completed', () => {
  const sweep = { objective: { metric: 'val_loss', mode: 'min' as const }, trial_stopping: { rule: 'median' as const, after_epochs: 2, min_trials: 2 } };
  const trials = [trial(0, 'completed', [1.0, 0.5, 0.4]), trial(1, 'completed', [1.2, 0.7, 0.6]), trial(2, 'running', [])];
  assert.equal(medianStops(sweep, trials, 2, 0.61), true);
  assert.equal(medianStops(sweep, trials, 2, 0.59), false);
  assert.equal(medianStops(sweep, trials, 1, 5), false, 'before after_epochs');
  assert.equal(medianStops(sweep, trials.slice(1), 2, 5), false, 'fewer completed than min_trials');
  assert.equal(medianStops(sweep, trials, 2, null), true, 'a diverged objective');
  assert.equal(medianStops({ ...sweep, trial_stopping: null }, trials, 2, 5), false);
  assert.equal(medianStops({ ...sweep, objective: { metric: 'val_accuracy', mode: 'max' } }, trials, 2, 0.59), true);
});

test('the best trial is the completed one with the best objective; the objective mode follows Keras', () => {
  const trials = [trial(0, 'completed', [0.5]), trial(1, 'stopped', [0.1]), trial(2, 'completed', [0.3]), trial(3, 'failed', [])];
  assert.equal(bestTrial({ objective: { metric: 'val_loss', mode: 'min' } }, trials)?.trial, 2);
  assert.equal(bestTrial({ objective: { metric: 'val_accuracy', mode: 'max' } }, trials)?.trial, 0);
  assert.equal(bestTrial({ objective: { metric: 'val_loss', mode: 'min' } }, [trial(0, 'cancelled', [])]), null);
  assert.equal(objectiveMode({ metric: 'val_accuracy', mode: 'auto' }), 'max');
  assert.equal(objectiveMode({ metric: 'val_loss', mode: 'auto' }), 'min');
  assert.equal(objectiveMode({ metric: 'val_loss', mode: 'max' }), 'max');
});
