import { IRIS_EXAMPLE } from '../src/api/schemas/models.js';
import type { ServiceClient } from './client.js';
import { log } from './log.js';
import { startWorker, type ServiceEnv } from './processes.js';
import type { SweepRun, SweepsResult } from './report-types.js';
import type { Sizes } from './sizes.js';

interface SweepReply {
  id: string;
  status: string;
  created_at: string;
  finished_at: string | null;
  trial_counts: Record<string, number>;
  best: { objective: number } | null;
}

/** The seed's Iris model, its optimizer spelt out so the learning rate can vary. */
const irisModel = (name: string) => ({
  ...IRIS_EXAMPLE,
  name,
  compile: { ...IRIS_EXAMPLE.compile, optimizer: { type: 'adam', learning_rate: 0.01 } },
});

const UNITS = [4, 8, 16, 32];
const RATES = [0.1, 0.03, 0.01, 0.003];

/** A grid of `trials` points (units × learning rate, in order), every trial `epochs` epochs. */
async function sweep(client: ServiceClient, name: string, trials: number, epochs: number, workers: number, parallelism: number): Promise<SweepRun> {
  await client.expect(201, 'POST', '/v1/models', irisModel(name));
  const created = await client.expect<SweepReply>(202, 'POST', '/v1/sweeps', {
    model: name,
    dataset: { builtin: 'iris' },
    fit: { epochs, batch_size: 16, validation_split: 0.2 },
    preprocessing: { standardize: true },
    space: { 'architecture.layers[0].units': { type: 'choice', values: UNITS }, 'compile.optimizer.learning_rate': { type: 'choice', values: RATES } },
    max_trials: trials,
    parallelism,
  });
  // The stream closes when the sweep has ended: no polling that would take CPU from the workers.
  const response = await fetch(`${client.url}/v1/sweeps/${created.id}/events`, { signal: AbortSignal.timeout(3_600_000) });
  await response.text();
  const ended = await client.expect<SweepReply>(200, 'GET', `/v1/sweeps/${created.id}`);
  if (ended.status !== 'completed' || ended.trial_counts.completed !== trials) throw new Error(`sweep ${ended.id} ended ${ended.status}: ${JSON.stringify(ended.trial_counts)}`);
  const seconds = (Date.parse(ended.finished_at ?? '') - Date.parse(ended.created_at)) / 1000;
  return { workers, trials, epochs, parallelism, seconds, trials_per_min: (trials / seconds) * 60, best_objective: ended.best?.objective ?? null };
}

export interface SweepsContext {
  client: ServiceClient;
  sizes: Sizes;
  env: ServiceEnv;
}

/** A grid sweep over Iris with the one worker inside `modelyard all`, then with a second `modelyard worker`. */
export async function runSweeps(ctx: SweepsContext): Promise<SweepsResult> {
  const { trials, epochs } = ctx.sizes.sweeps;
  const parallelism = 4;
  log(`sweeps: ${trials} Iris trials of ${epochs} epochs with one worker, then two`);
  const runs = [await sweep(ctx.client, 'sweep-iris-1', trials, epochs, 1, parallelism)];
  const second = await startWorker(ctx.env, 2);
  try {
    runs.push(await sweep(ctx.client, 'sweep-iris-2', trials, epochs, 2, parallelism));
  } finally {
    await second.stop();
  }
  return {
    runs,
    notes: [
      `sweeps: a grid over Dense units ${UNITS.join('/')} × adam learning rate ${RATES.join('/')} (the first ${trials} points), batch 16, validation_split 0.2, standardized, parallelism ${parallelism}; seconds = the sweep's created_at → finished_at`,
    ],
  };
}
