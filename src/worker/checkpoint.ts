import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { JobEngine } from '../jobs/record.js';

/** One saved tensor: a model weight or an optimizer variable. */
export interface SavedTensor {
  name: string;
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

/**
 * Where EarlyStopping stood: its best value so far (null: none yet), the
 * epochs it has waited since, and with `restore_best_weights` the weights of
 * that best epoch (in `model.weights` order).
 */
export interface EarlyStoppingState {
  best: number | null;
  wait: number;
  bestWeights: SavedTensor[] | null;
}

/**
 * A training's state after a whole epoch, enough to go on from there in
 * another process: the model's weights in `model.weights` order (the same on
 * both engines), the optimizer's state as the engine that saved it holds it
 * (null when it cannot export it), and the history so far.
 */
export interface TrainingCheckpoint {
  /** Epochs finished; training goes on at this 0-based epoch. */
  epoch: number;
  engine: JobEngine;
  history: Record<string, number[]>;
  weights: SavedTensor[];
  optimizer: SavedTensor[] | null;
  earlyStopping: EarlyStoppingState | null;
}

export interface CheckpointPolicy {
  /** A checkpoint after every this many epochs; 0: no such rule. */
  everyEpochs: number;
  /** A checkpoint after the first epoch to end this long after the last checkpoint (or the start); 0: no such rule. */
  afterMs: number;
}

/** Whether the epoch that just ended (`epochsDone`, from 1) gets a checkpoint. */
export function checkpointDue(policy: CheckpointPolicy, epochsDone: number, msSinceLast: number): boolean {
  if (policy.everyEpochs > 0 && epochsDone % policy.everyEpochs === 0) return true;
  return policy.afterMs > 0 && msSinceLast >= policy.afterMs;
}

/** The model's weights, in `model.weights` order. */
export function saveWeights(model: tf.LayersModel): SavedTensor[] {
  return saveTensors(model.weights.map((weight) => weight.read()));
}

/** Weight values as a checkpoint keeps them, named by their place. */
export function saveTensors(values: readonly tf.Tensor[]): SavedTensor[] {
  return values.map((value, i) => ({ name: `weight_${i}`, dtype: 'float32', shape: [...value.shape], data: Float32Array.from(value.dataSync()) }));
}

/** Sets the model's weights from a checkpoint; an Error when they do not fit the model (another definition). */
export function restoreWeights(model: tf.LayersModel, saved: readonly SavedTensor[]): void {
  const weights = model.weights;
  if (weights.length !== saved.length) throw new Error(`the checkpoint has ${saved.length} weights, the model ${weights.length}`);
  const values = weights.map((weight, i) => {
    const value = saved[i] as SavedTensor;
    if (value.shape.join() !== weight.shape.join()) throw new Error(`checkpoint weight ${i} is [${value.shape}], the model's ${weight.name} [${weight.shape}]`);
    return value;
  });
  tf.tidy(() => model.setWeights(values.map((value) => tf.tensor(value.data, value.shape, value.dtype))));
}

/** A tfjs optimizer's variables (its iteration count and slots), as `getWeights` gives them. */
export async function saveOptimizer(optimizer: tf.Optimizer): Promise<SavedTensor[]> {
  const named = await optimizer.getWeights();
  try {
    return await Promise.all(
      named.map(async ({ name, tensor }): Promise<SavedTensor> => {
        const dtype = tensor.dtype === 'int32' ? 'int32' : 'float32';
        const data = dtype === 'int32' ? Int32Array.from(await tensor.data()) : Float32Array.from(await tensor.data());
        return { name, dtype, shape: [...tensor.shape], data };
      }),
    );
  } finally {
    // The slots are the optimizer's own variables; the iteration count comes as a tensor made for the caller.
    for (const { tensor } of named) if (!(tensor instanceof tf.Variable)) tensor.dispose();
  }
}

export async function restoreOptimizer(optimizer: tf.Optimizer, saved: readonly SavedTensor[]): Promise<void> {
  const tensors = saved.map((value) => ({ name: value.name, tensor: tf.tensor(value.data, value.shape, value.dtype) }));
  try {
    // setWeights makes variables of its own from these tensors.
    await optimizer.setWeights(tensors);
  } finally {
    for (const { tensor } of tensors) tensor.dispose();
  }
}

/** The last value of every history key: the logs of the checkpoint's last epoch. */
export function lastLogs(history: Record<string, number[]>): Record<string, number> {
  const logs: Record<string, number> = {};
  for (const [key, values] of Object.entries(history)) {
    const last = values.at(-1);
    if (last !== undefined) logs[key] = last;
  }
  return logs;
}

export const CHECKPOINT_JSON = 'checkpoint.json';
export const CHECKPOINT_TENSORS = 'tensors.bin';

const TensorSpecSchema = z.object({ name: z.string(), dtype: z.enum(['float32', 'int32']), shape: z.array(z.number().int().nonnegative()) });
const CheckpointJsonSchema = z.object({
  epoch: z.number().int().nonnegative(),
  engine: z.enum(['eager', 'graph']),
  // JSON has no Infinity or NaN: a diverged epoch's loss is written as null and read back as NaN.
  history: z.record(z.string(), z.array(z.number().nullable().transform((value) => value ?? Number.NaN))),
  weights: z.array(TensorSpecSchema),
  optimizer: z.array(TensorSpecSchema).nullable(),
  early_stopping: z.object({ best: z.number().nullable(), wait: z.number().int().nonnegative(), best_weights: z.array(TensorSpecSchema).nullable() }).nullable(),
});
type TensorSpec = z.infer<typeof TensorSpecSchema>;

/** The files of a checkpoint: its description as JSON, every tensor's values in one binary file (4 bytes each, little-endian). */
export function encodeCheckpoint(checkpoint: TrainingCheckpoint): Record<string, Uint8Array> {
  const { earlyStopping } = checkpoint;
  const tensors = [...checkpoint.weights, ...(checkpoint.optimizer ?? []), ...(earlyStopping?.bestWeights ?? [])];
  const spec = ({ name, dtype, shape }: SavedTensor): TensorSpec => ({ name, dtype, shape });
  const json = {
    epoch: checkpoint.epoch,
    engine: checkpoint.engine,
    history: checkpoint.history,
    weights: checkpoint.weights.map(spec),
    optimizer: checkpoint.optimizer?.map(spec) ?? null,
    early_stopping: earlyStopping && { best: earlyStopping.best, wait: earlyStopping.wait, best_weights: earlyStopping.bestWeights?.map(spec) ?? null },
  };
  const bytes = new Uint8Array(tensors.reduce((sum, t) => sum + t.data.byteLength, 0));
  let offset = 0;
  for (const tensor of tensors) {
    bytes.set(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength), offset);
    offset += tensor.data.byteLength;
  }
  return { [CHECKPOINT_JSON]: Buffer.from(JSON.stringify(json)), [CHECKPOINT_TENSORS]: bytes };
}

/** A checkpoint from its files; an Error when they are not one (a format this version does not read). */
export function decodeCheckpoint(files: { json: Uint8Array; tensors: Uint8Array }): TrainingCheckpoint {
  const parsed = CheckpointJsonSchema.parse(JSON.parse(Buffer.from(files.json).toString('utf8')));
  const copy = new Uint8Array(files.tensors);
  let offset = 0;
  const read = (spec: TensorSpec): SavedTensor => {
    const length = spec.shape.reduce((a, b) => a * b, 1);
    const end = offset + length * 4;
    if (end > copy.byteLength) throw new Error('the checkpoint\'s tensor file is shorter than its description');
    const buffer = copy.buffer.slice(offset, end);
    offset = end;
    return { ...spec, data: spec.dtype === 'int32' ? new Int32Array(buffer) : new Float32Array(buffer) };
  };
  const weights = parsed.weights.map(read);
  const optimizer = parsed.optimizer?.map(read) ?? null;
  const stopping = parsed.early_stopping;
  const earlyStopping = stopping && { best: stopping.best, wait: stopping.wait, bestWeights: stopping.best_weights?.map(read) ?? null };
  if (offset !== copy.byteLength) throw new Error('the checkpoint\'s tensor file is longer than its description');
  return { epoch: parsed.epoch, engine: parsed.engine, history: parsed.history, weights, optimizer, earlyStopping };
}
