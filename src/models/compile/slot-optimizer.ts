import * as tf from '@tensorflow/tfjs';

// tfjs's own names for these are not exported.
type Gradients = Parameters<tf.Optimizer['applyGradients']>[0];
export type NamedTensor = Awaited<ReturnType<tf.Optimizer['getWeights']>>[number];

interface Slot {
  originalName: string;
  variable: tf.Variable;
}

/**
 * A tfjs optimizer with one state variable per weight for each of its slot
 * names, for the optimizers whose update rule the service writes itself (as
 * Keras 3 writes it). Its state is saved as tfjs's optimizers save theirs: the
 * iteration count, then every weight's first slot, then every weight's second,
 * each named `<weight>/<slot>`. Its config is its hyperparameters.
 */
export abstract class SlotOptimizer<Hyperparameters extends Record<string, number>> extends tf.Optimizer {
  /** slots[k][i]: slot `slotNames[k]` of the i-th weight. */
  private slots: Slot[][];

  protected constructor(
    private readonly slotNames: readonly string[],
    protected readonly hyperparameters: Hyperparameters,
  ) {
    super();
    this.slots = slotNames.map(() => []);
  }

  /**
   * Assigns the weight's and its slots' new values (inside a tidy) from the
   * gradient; `step` counts from 1, as Keras's bias corrections read it.
   */
  protected abstract update(value: tf.Variable, gradient: tf.Tensor, slots: tf.Variable[], step: number): void;

  override applyGradients(variableGradients: Gradients): void {
    const entries = Array.isArray(variableGradients)
      ? variableGradients.map(({ name, tensor }) => [name, tensor] as const)
      : Object.entries(variableGradients);
    const step = this.iterations + 1;
    entries.forEach(([name, gradient], i) => {
      const value = tf.engine().registeredVariables[name] as tf.Variable;
      const slots = this.slotNames.map((slot, k) => {
        const kind = this.slots[k] as Slot[];
        kind[i] ??= { originalName: `${name}/${slot}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        return kind[i].variable;
      });
      if (gradient == null) return;
      tf.tidy(() => this.update(value, gradient, slots, step));
    });
    this.incrementIterations();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...this.hyperparameters };
  }

  override dispose(): void {
    super.dispose();
    tf.dispose(this.slots.flat().map((slot) => slot.variable));
  }

  override async getWeights(): Promise<NamedTensor[]> {
    return [await this.saveIterations(), ...this.slots.flat().map((slot) => ({ name: slot.originalName, tensor: slot.variable }))];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const values = await this.extractIterations(weightValues);
    const count = values.length / this.slotNames.length;
    tf.dispose(this.slots.flat().map((slot) => slot.variable));
    this.slots = this.slotNames.map((_, k) =>
      values.slice(k * count, (k + 1) * count).map((v) => ({ originalName: v.name, variable: v.tensor.variable(false) })),
    );
  }
}
