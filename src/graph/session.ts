import { DType, type Output, type SessionHandle, type TensorValue } from './addon.js';
import type { LoweredModel } from './lower.js';
import { configProto, type SessionThreads } from './session-config.js';

/** A TF session over a lowered model: runs steps off the event loop, moves weights in and out. */
export class GraphSession {
  private readonly handle: SessionHandle;
  private closed = false;

  constructor(
    readonly model: LoweredModel,
    threads: SessionThreads,
  ) {
    const { builder } = model;
    this.handle = builder.lib.newSession(builder.graph, configProto(threads));
  }

  run(feeds: readonly (readonly [Output, TensorValue])[], fetches: readonly Output[], targets: readonly string[] = []): Promise<TensorValue[]> {
    if (this.closed) throw new Error('the graph session is closed');
    const { builder } = this.model;
    return builder.lib.run(this.handle, builder.graph, feeds, fetches, targets);
  }

  /** Sets every weight (`values` in `store.weights` order) and sets the optimizer's slots to their starting values. */
  async loadWeights(values: readonly Float32Array[]): Promise<void> {
    const feeds = this.model.store.weights.map((w, i) => [w.loadInput, tensor(values[i] as Float32Array, w.shape)] as const);
    await this.run(feeds, [], [this.model.loadWeights, this.model.initSlots]);
  }

  /** Every weight's current value, in `store.weights` order. */
  async fetchWeights(): Promise<Float32Array[]> {
    const values = await this.run([], this.model.store.weights.map((w) => w.read));
    return values.map((value) => value.data as Float32Array);
  }

  /** Every optimizer slot's current value, in `store.slots` order. */
  async fetchSlots(): Promise<Float32Array[]> {
    if (this.model.store.slots.length === 0) return [];
    const values = await this.run([], this.model.store.slots.map((slot) => slot.read));
    return values.map((value) => value.data as Float32Array);
  }

  /** Sets every optimizer slot (`values` in `store.slots` order), as a checkpoint saved them. */
  async loadSlots(values: readonly Float32Array[]): Promise<void> {
    if (this.model.store.slots.length === 0) return;
    const feeds = this.model.store.slots.map((slot, i) => [slot.loadInput, tensor(values[i] as Float32Array, slot.shape)] as const);
    await this.run(feeds, [], [this.model.loadSlots]);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.model.builder.lib.closeSession(this.handle);
  }
}

export function tensor(data: Float32Array, shape: readonly number[]): TensorValue {
  return { dtype: DType.float32, shape, data };
}
