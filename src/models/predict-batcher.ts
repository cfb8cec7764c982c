import * as tf from '@tensorflow/tfjs';
import type { NDArray } from '../datasets/types.js';

/** One request's predictions: its rows of the model's output, flat in C order. */
export interface Predictions {
  data: Float32Array;
  /** `[rows, ...output sample shape]`. */
  shape: number[];
}

interface Pending {
  x: NDArray;
  resolve: (predictions: Predictions) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs the predict requests that arrive together as one model call. Most of a
 * small model's predict time is tfjs's per-call overhead, not arithmetic, so
 * under concurrent load one call for many requests serves them all for about
 * the price of one. Requests queued in one turn of the event loop are batched
 * (setImmediate), so a lone request waits for nothing.
 */
export class PredictBatcher {
  private pending: Pending[] = [];
  private scheduled = false;

  /** The model's output, by the name its graph knows it by. */
  private readonly output: string;

  constructor(private readonly model: tf.LayersModel) {
    this.output = model.outputs[0]?.name ?? '';
  }

  predict(x: NDArray): Promise<Predictions> {
    return new Promise((resolve, reject) => {
      this.pending.push({ x, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const groups = new Map<string, Pending[]>();
    for (const request of this.pending.splice(0)) {
      // Keras's None dimensions can differ between requests; only equal sample shapes share a call.
      const key = request.x.shape.slice(1).join(',');
      groups.set(key, [...(groups.get(key) ?? []), request]);
    }
    for (const group of groups.values()) this.run(group);
  }

  private run(group: Pending[]): void {
    try {
      const rows = group.reduce((sum, request) => sum + (request.x.shape[0] ?? 0), 0);
      const sampleShape = group[0]?.x.shape.slice(1) ?? [];
      const data = new Float32Array(group.reduce((sum, request) => sum + request.x.data.length, 0));
      let offset = 0;
      for (const request of group) {
        data.set(request.x.data, offset);
        offset += request.x.data.length;
      }
      // The graph run itself, as predictOnBatch runs it for one batch, without its slice of the whole input and concat of the one result:
      // the callers have checked each sample's shape. Only the tensor leaves tidy: tidy walks what it returns, every element of an array included.
      const y = tf.tidy(() => this.model.execute(tf.tensor(data, [rows, ...sampleShape], 'float32'), this.output) as tf.Tensor);
      let out: Float32Array;
      try {
        out = y.dataSync() as Float32Array;
      } finally {
        y.dispose();
      }
      const outShape = y.shape.slice(1);
      const rowSize = outShape.reduce((product, d) => product * d, 1);
      let start = 0;
      for (const request of group) {
        const count = request.x.shape[0] ?? 0;
        // Views into the one result: each request's rows without a copy or a nested JS array.
        request.resolve({ data: out.subarray(start * rowSize, (start + count) * rowSize), shape: [count, ...outShape] });
        start += count;
      }
    } catch (error) {
      for (const request of group) request.reject(error);
    }
  }
}
