import { DType, type Output } from './addon.js';
import type { GraphBuilder } from './builder.js';

const FLOAT = { kind: 'type', value: DType.float32 } as const;

/** One model weight as a resource variable, named as tfjs names it: layer and weight (`kernel`, `moving_mean`). */
export interface GraphVariable {
  layer: string;
  weight: string;
  shape: number[];
  trainable: boolean;
  handle: Output;
  /** The value the forward passes read. */
  read: Output;
  /** Feeding this and running `load` sets the variable. */
  loadInput: Output;
}

/** One optimizer slot of a weight (`m`, `v`, `momentum`, `velocity`), readable and settable for checkpoints. */
export interface GraphSlot {
  /** `layer/weight/slot`. */
  name: string;
  shape: number[];
  read: Output;
  loadInput: Output;
}

/**
 * The graph's variables: the model's weights, loaded from the tfjs model
 * before training and fetched back after, and the optimizer's slots, which
 * start at Keras's starting values, or at a checkpoint's values.
 */
export class VariableStore {
  readonly weights: GraphVariable[] = [];
  readonly slots: GraphSlot[] = [];
  private readonly loads: string[] = [];
  private readonly slotInits: string[] = [];
  private readonly slotLoads: string[] = [];

  constructor(private readonly b: GraphBuilder) {}

  weight(layer: string, weight: string, shape: number[], trainable: boolean): Output {
    return this.b.scoped(`${layer}/${weight}`, () => {
      const handle = this.handle('var', shape);
      const read = this.b.op('ReadVariableOp', [handle], { dtype: FLOAT }, { name: 'read' });
      const loadInput = this.b.placeholder('load_value', shape);
      const [load] = this.b.op('AssignVariableOp', [handle, loadInput], { dtype: FLOAT }, { name: 'load' });
      this.loads.push(load);
      this.weights.push({ layer, weight, shape, trainable, handle, read, loadInput });
      return read;
    });
  }

  /** An optimizer slot shaped like `variable`, `initial` (Keras's starting value: Adagrad's initial_accumulator_value, else 0) before the first step. */
  slot(variable: GraphVariable, name: string, initial = 0): Output {
    return this.b.scoped(`${variable.layer}/${variable.weight}/${name}`, () => {
      const handle = this.handle('slot', variable.shape);
      const start = this.b.f('Fill', [this.b.ints(variable.shape), this.b.scalar(initial)], { index_type: { kind: 'type', value: DType.int32 } });
      const [init] = this.b.op('AssignVariableOp', [handle, start], { dtype: FLOAT }, { name: 'init' });
      this.slotInits.push(init);
      const read = this.b.op('ReadVariableOp', [handle], { dtype: FLOAT }, { name: 'read' });
      const loadInput = this.b.placeholder('load_value', variable.shape);
      const [load] = this.b.op('AssignVariableOp', [handle, loadInput], { dtype: FLOAT }, { name: 'load' });
      this.slotLoads.push(load);
      this.slots.push({ name: `${variable.layer}/${variable.weight}/${name}`, shape: variable.shape, read, loadInput });
      return handle;
    });
  }

  /** Runs every weight load; feed each weight's `loadInput`. */
  loadOp(): string {
    return this.b.group('load_weights', this.loads);
  }

  /** Sets the optimizer's slots to their starting values. */
  initSlotsOp(): string {
    return this.b.group('init_slots', this.slotInits);
  }

  /** Runs every slot load; feed each slot's `loadInput`. */
  loadSlotsOp(): string {
    return this.b.group('load_slots', this.slotLoads);
  }

  private handle(name: string, shape: number[]): Output {
    const op = this.b.uniqueName(name);
    return this.b.op('VarHandleOp', [], { dtype: FLOAT, shape: { kind: 'shape', value: shape }, shared_name: { kind: 'string', value: op } }, { name });
  }
}
