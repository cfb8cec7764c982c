import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { glorotUniform } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';

let service: TestService;

before(async () => {
  service = await startService();
});
after(async () => {
  await service.close();
});

const compile = { optimizer: { type: 'adam', learning_rate: 0.01 }, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] };

async function trainAndPredict(definition: object): Promise<{ accuracy: number; classes: string[]; params: number }> {
  const created = await service.request('POST', '/v1/models', definition);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const submitted = await service.request('POST', '/v1/jobs', {
    model: created.body.id,
    dataset: { builtin: 'iris' },
    fit: { epochs: 100, batch_size: 16 },
    preprocessing: { standardize: true },
  });
  assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
  const job = await service.waitForJob(submitted.body.id);
  assert.equal(job.status, 'completed', JSON.stringify(job.error));
  const predicted = await service.request('POST', `/v1/models/${created.body.id}/predict`, {
    instances: [
      [5.1, 3.5, 1.4, 0.2],
      [6.0, 2.9, 4.5, 1.5],
      [7.7, 3.0, 6.1, 2.3],
    ],
  });
  return { accuracy: job.history.accuracy.at(-1), classes: predicted.body.classes, params: created.body.summary.total_params };
}

test('a functional-API model trains and predicts like its sequential twin', async () => {
  const sequential = await trainAndPredict({
    name: 'iris-sequential',
    architecture: {
      type: 'sequential',
      input_shape: [4],
      layers: [
        { type: 'Dense', units: 8, activation: 'relu', kernel_initializer: glorotUniform(1) },
        { type: 'Dense', units: 3, activation: 'softmax', kernel_initializer: glorotUniform(2) },
      ],
    },
    compile,
  });
  const functional = await trainAndPredict({
    name: 'iris-functional',
    architecture: {
      type: 'functional',
      inputs: [{ name: 'flower', shape: [4] }],
      layers: [
        { name: 'hidden', type: 'Dense', units: 8, activation: 'relu', inputs: ['flower'], kernel_initializer: glorotUniform(1) },
        { name: 'species', type: 'Dense', units: 3, activation: 'softmax', inputs: ['hidden'], kernel_initializer: glorotUniform(2) },
      ],
      outputs: ['species'],
    },
    compile,
  });
  assert.equal(functional.params, sequential.params);
  assert.equal(functional.params, 67);
  for (const result of [sequential, functional]) {
    assert.ok(result.accuracy >= 0.9, `accuracy ${result.accuracy}`);
    assert.deepEqual(result.classes, ['setosa', 'versicolor', 'virginica']);
  }
});
