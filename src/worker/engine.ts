import { canLower, loadAddon, trainOnGraph } from '../graph/index.js';
import type { TrainingEngine } from '../jobs/contract.js';
import type { JobEngine } from '../jobs/record.js';
import type { ModelDefinition } from '../models/index.js';
import { train, type TrainInput, type TrainResult } from './train.js';

/** The engine a job trains on, and, when it is not the graph one, what kept the graph engine out. */
export interface EngineChoice {
  engine: JobEngine;
  note: string | null;
}

/** A job asked for the graph engine and cannot have it: it fails with this reason. */
export class GraphEngineUnavailable extends Error {}

/**
 * `eager` is taken as asked. `graph` and `auto` need the whole model to lower
 * and the addon to load; `auto` otherwise falls back to eager and says why,
 * `graph` refuses (the API rejects a model that does not lower at submit, so
 * here only a missing addon or a model changed since is left).
 */
export function chooseEngine(requested: TrainingEngine, definition: ModelDefinition): EngineChoice {
  if (requested === 'eager') return { engine: 'eager', note: null };
  const lowers = canLower(definition);
  const addon = loadAddon();
  const why = !lowers.ok ? `${lowers.path}: ${lowers.reason}` : 'error' in addon ? addon.error : null;
  if (why === null) return { engine: 'graph', note: null };
  if (requested === 'graph') throw new GraphEngineUnavailable(`the graph engine cannot train this job: ${why}`);
  return { engine: 'eager', note: why };
}

/** One `model.fit` on the chosen engine; `threads` overrides the graph engine's per-model rule. */
export function trainOn(engine: JobEngine, input: TrainInput, threads: number | undefined): Promise<TrainResult> {
  if (engine === 'eager') return train(input);
  return trainOnGraph(input, threads === undefined ? {} : { threads: { intraOp: threads, interOp: threads } });
}
