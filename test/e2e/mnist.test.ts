import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { digitsModel } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';

let service: TestService;

before(async () => {
  service = await startService();
});
after(async () => {
  await service.close();
});

test("the seed's MNIST digit model, 2 epochs on 6,000 images, reaches >= 0.85 on the test split", async () => {
  const created = await service.request('POST', '/v1/models', digitsModel('digits'));
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.summary.total_params, 101_770);

  const submitted = await service.request('POST', '/v1/jobs', {
    model: 'digits',
    dataset: { builtin: 'mnist', split: 'train', limit: 6000 },
    fit: { epochs: 2, batch_size: 32 },
  });
  assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
  const job = await service.waitForJob(submitted.body.id);
  assert.equal(job.status, 'completed', JSON.stringify(job.error));
  assert.equal(job.history.loss.length, 2);

  const evaluated = await service.request('POST', '/v1/models/digits/evaluate', { dataset: { builtin: 'mnist', split: 'test' } });
  assert.equal(evaluated.status, 200, JSON.stringify(evaluated.body));
  assert.equal(evaluated.body.samples, 10_000);
  assert.ok(evaluated.body.metrics.accuracy >= 0.85, `test accuracy ${evaluated.body.metrics.accuracy}`);

  const predicted = await service.request('POST', '/v1/models/digits/predict', {
    instances: [Array.from({ length: 28 }, () => Array.from({ length: 28 }, () => 0))],
  });
  assert.equal(predicted.status, 200);
  assert.equal(predicted.body.predictions[0].length, 10);
  assert.ok(predicted.body.classes[0].match(/^\d$/));
});
