import * as tf from '@tensorflow/tfjs';
import { ValidationError } from '../errors.js';
import type { EarlyStoppingSpec } from '../jobs/contract.js';
import { saveTensors, type EarlyStoppingState } from './checkpoint.js';

/**
 * Keras's EarlyStopping, driven by Keras-named epoch logs. tfjs's own lacks
 * `restore_best_weights`, `baseline` and `start_from_epoch`.
 */
export class EarlyStopping {
  stopped = false;
  private best: number;
  private wait = 0;
  private bestWeights: tf.Tensor[] | null = null;
  private readonly sign: 1 | -1;

  constructor(private readonly spec: EarlyStoppingSpec) {
    const maximize = spec.mode === 'max' || (spec.mode === 'auto' && /(acc|accuracy|auc)$/.test(spec.monitor));
    this.sign = maximize ? 1 : -1;
    this.best = spec.baseline ?? (maximize ? -Infinity : Infinity);
  }

  onEpochEnd(model: tf.LayersModel, epoch: number, logs: Record<string, number>): void {
    const current = logs[this.spec.monitor];
    if (current === undefined) {
      throw ValidationError.at(
        'early_stopping.monitor',
        `'${this.spec.monitor}' is not in the epoch logs; available: ${Object.keys(logs).join(', ')}`,
      );
    }
    if (epoch < this.spec.start_from_epoch) return;
    this.wait += 1;
    if (this.improves(current)) {
      this.best = current;
      this.wait = 0;
      if (this.spec.restore_best_weights) this.keepWeights(model);
      return;
    }
    if (this.wait >= this.spec.patience && epoch > 0) {
      this.stopped = true;
      model.stopTraining = true;
      if (this.spec.restore_best_weights && this.bestWeights) model.setWeights(this.bestWeights);
    }
  }

  /** What a checkpoint keeps of it. */
  get state(): EarlyStoppingState {
    return { best: Number.isFinite(this.best) ? this.best : null, wait: this.wait, bestWeights: this.bestWeights && saveTensors(this.bestWeights) };
  }

  restore(state: EarlyStoppingState): void {
    if (state.best !== null) this.best = state.best;
    this.wait = state.wait;
    this.dispose();
    this.bestWeights = state.bestWeights?.map((value) => tf.tensor(value.data, value.shape, value.dtype)) ?? null;
  }

  dispose(): void {
    this.bestWeights?.forEach((tensor) => tensor.dispose());
    this.bestWeights = null;
  }

  private improves(current: number): boolean {
    return this.sign * (current - this.best) > this.spec.min_delta;
  }

  private keepWeights(model: tf.LayersModel): void {
    this.dispose();
    this.bestWeights = model.getWeights().map((weight) => weight.clone());
  }
}
