import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { loadBuiltin } from '../../src/datasets/builtins.js';
import { FitSchema } from '../../src/jobs/contract.js';
import { parseModelDefinition } from '../../src/models/index.js';
import { TrainingProcesses, type TrainingRequest } from '../../src/worker/training-process.js';
import { IRIS } from '../support/seed.js';

const { name: _name, ...definition } = IRIS;

function request(epochs: number): TrainingRequest {
  return {
    engine: 'graph',
    threads: undefined,
    backend: 'tensorflow',
    input: {
      definition: parseModelDefinition(definition),
      dataset: loadBuiltin('iris'),
      fit: FitSchema.parse({ epochs, batch_size: 16 }),
      limits: { maxParams: 1_000_000, maxLayers: 50 },
    },
  };
}

const processes = new TrainingProcesses();
after(() => processes.close());

describe('training processes', () => {
  it('stay warm between jobs: the second job trains in the process the first one used', async () => {
    const epochs: number[] = [];
    const first = await processes.train(request(2), { onEpoch: async (epoch) => void epochs.push(epoch), shouldStop: () => false });
    assert.equal(first.outcome, 'completed');
    assert.equal(processes.size, 1);
    const second = await processes.train(request(3), { onEpoch: async (epoch) => void epochs.push(epoch), shouldStop: () => false });
    assert.equal(second.outcome, 'completed');
    assert.deepEqual(epochs, [0, 1, 0, 1, 2]);
    assert.equal(processes.size, 1);
  });

  it("a job's stop does not carry over to the next job in the same process", async () => {
    let stop = false;
    const cancelled = await processes.train(request(100_000), {
      onEpoch: async () => {
        stop = true;
        // Long enough for the stop to reach the process before it trains on.
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
      shouldStop: () => stop,
    });
    assert.equal(cancelled.outcome, 'cancelled');
    const next = await processes.train(request(3), { onEpoch: async () => undefined, shouldStop: () => false });
    assert.equal(next.outcome, 'completed');
    assert.equal(next.epochsRun, 3);
    assert.equal(processes.size, 1);
  });

  it('a job whose epoch hook throws ends its process; the next job gets a fresh one', async () => {
    await assert.rejects(
      processes.train(request(5), { onEpoch: async () => Promise.reject(new Error('the registry is gone')), shouldStop: () => false }),
      /the registry is gone/,
    );
    const next = await processes.train(request(2), { onEpoch: async () => undefined, shouldStop: () => false });
    assert.equal(next.outcome, 'completed');
    assert.equal(processes.size, 1);
  });
});
