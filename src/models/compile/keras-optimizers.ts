import * as tf from '@tensorflow/tfjs';
import { SlotOptimizer } from './slot-optimizer.js';

type AdamHyperparameters = {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
};

type AdadeltaHyperparameters = {
  learningRate: number;
  rho: number;
  epsilon: number;
};

/**
 * Keras 3's Adam. tfjs's AdamOptimizer adds ε to the bias-corrected √v̂;
 * Keras 3 (and TensorFlow's ApplyAdam, which the graph engine runs) adds it
 * before the correction, an ε larger by 1/√(1−β₂ᵗ), which matters where
 * gradients are tiny:
 *
 *   m ← β₁·m + (1−β₁)·g;  v ← β₂·v + (1−β₂)·g²;  w ← w − lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε)
 *
 * Its saved state is laid out as tfjs's Adam lays out its own.
 */
export class KerasAdam extends SlotOptimizer<AdamHyperparameters> {
  static get className(): string {
    return 'Adam';
  }

  constructor(hyperparameters: AdamHyperparameters) {
    super(['m', 'v'], hyperparameters);
  }

  protected update(value: tf.Variable, g: tf.Tensor, slots: tf.Variable[], step: number): void {
    const [m, v] = slots as [tf.Variable, tf.Variable];
    const { learningRate, beta1, beta2, epsilon } = this.hyperparameters;
    const newM = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
    const newV = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
    m.assign(newM);
    v.assign(newV);
    const alpha = (learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
    value.assign(tf.sub(value, tf.mul(tf.div(newM, tf.add(tf.sqrt(newV), epsilon)), alpha)));
  }
}

/**
 * Keras 3's Adadelta. tfjs's AdadeltaOptimizer divides by the root of the
 * accumulated squared gradient from before the step's update; Keras 3 (and
 * TensorFlow's ApplyAdadelta, which the graph engine runs) by the updated one:
 *
 *   a ← ρ·a + (1−ρ)·g²;  Δ ← −√(d + ε)·g / √(a + ε);  d ← ρ·d + (1−ρ)·Δ²;  w ← w + lr·Δ
 *
 * Its saved state is laid out as tfjs's Adadelta lays out its own.
 */
export class KerasAdadelta extends SlotOptimizer<AdadeltaHyperparameters> {
  static get className(): string {
    return 'Adadelta';
  }

  constructor(hyperparameters: AdadeltaHyperparameters) {
    super(['accum_grad', 'accum_var'], hyperparameters);
  }

  protected update(value: tf.Variable, g: tf.Tensor, slots: tf.Variable[]): void {
    const [grads, updates] = slots as [tf.Variable, tf.Variable];
    const { learningRate, rho, epsilon } = this.hyperparameters;
    const a = tf.add(tf.mul(grads, rho), tf.mul(tf.square(g), 1 - rho));
    const delta = tf.neg(tf.div(tf.mul(tf.sqrt(tf.add(updates, epsilon)), g), tf.sqrt(tf.add(a, epsilon))));
    grads.assign(a);
    updates.assign(tf.add(tf.mul(updates, rho), tf.mul(tf.square(delta), 1 - rho)));
    value.assign(tf.add(value, tf.mul(delta, learningRate)));
  }
}

/**
 * Keras 3's Adamax, the rule tfjs's AdamaxOptimizer follows too, but with its
 * state saved and restored (tfjs's Adamax cannot export its state, so an
 * eager checkpoint could not hold it):
 *
 *   m ← β₁·m + (1−β₁)·g;  u ← max(β₂·u, |g|);  w ← w − lr·m / ((1−β₁ᵗ)·(u + ε))
 */
export class KerasAdamax extends SlotOptimizer<AdamHyperparameters> {
  static get className(): string {
    return 'Adamax';
  }

  constructor(hyperparameters: AdamHyperparameters) {
    super(['m', 'v'], hyperparameters);
  }

  protected update(value: tf.Variable, g: tf.Tensor, slots: tf.Variable[], step: number): void {
    const [m, u] = slots as [tf.Variable, tf.Variable];
    const { learningRate, beta1, beta2, epsilon } = this.hyperparameters;
    const newM = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
    const newU = tf.maximum(tf.mul(u, beta2), tf.abs(g));
    m.assign(newM);
    u.assign(newU);
    const scale = learningRate / (1 - beta1 ** step);
    value.assign(tf.sub(value, tf.mul(tf.div(newM, tf.add(newU, epsilon)), scale)));
  }

  // tfjs's Adamax names a decay it does not apply; its config carries it as 0.
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), decay: 0 };
  }
}
