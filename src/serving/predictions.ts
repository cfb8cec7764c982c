/**
 * The JSON of predictions straight from the model's output array: the
 * nested rows a client expects, written without building them as JS arrays.
 */
export function predictionsJson(data: Float32Array, shape: readonly number[]): string {
  const parts: string[] = [];
  let next = 0;
  const write = (axis: number): void => {
    const size = shape[axis] ?? 0;
    parts.push('[');
    for (let i = 0; i < size; i++) {
      if (i > 0) parts.push(',');
      if (axis === shape.length - 1) {
        const value = data[next++] as number;
        // As JSON.stringify does: NaN and the infinities have no JSON form.
        parts.push(Number.isFinite(value) ? String(value) : 'null');
      } else {
        write(axis + 1);
      }
    }
    parts.push(']');
  };
  write(0);
  return parts.join('');
}

/** Keras's `np.argmax(predictions, axis=-1)` over flat rows; a single (sigmoid) output is class 1 from 0.5. */
export function argmaxRows(data: Float32Array, rows: number): number[] {
  const rowSize = rows === 0 ? 0 : data.length / rows;
  const classes = new Array<number>(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * rowSize;
    if (rowSize === 1) {
      classes[r] = (data[base] as number) >= 0.5 ? 1 : 0;
      continue;
    }
    let best = 0;
    for (let j = 1; j < rowSize; j++) if ((data[base + j] as number) > (data[base + best] as number)) best = j;
    classes[r] = best;
  }
  return classes;
}
