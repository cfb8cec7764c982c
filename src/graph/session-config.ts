/** Threads for one training session; 0 lets TensorFlow use every core. */
export interface SessionThreads {
  intraOp: number;
  interOp: number;
}

/**
 * Measured on the project's 2-core machines (the graph-mode feasibility study):
 * small dense steps lose more to handing work to a thread pool than they gain
 * (MNIST MLP 0.29 vs ~0.6 ms per step with one thread), while convolutions
 * need every core (MNIST CNN ~30 vs 77 ms).
 */
export function threadsFor(usesConvolutions: boolean): SessionThreads {
  return usesConvolutions ? { intraOp: 0, interOp: 0 } : { intraOp: 1, interOp: 1 };
}

/** A ConfigProto with only its thread counts set: field 2 intra-op, field 5 inter-op (both varints). */
export function configProto(threads: SessionThreads): Uint8Array {
  const bytes: number[] = [];
  const field = (tag: number, value: number) => {
    if (value <= 0) return;
    bytes.push(tag);
    let rest = value;
    while (rest >= 0x80) {
      bytes.push((rest & 0x7f) | 0x80);
      rest >>>= 7;
    }
    bytes.push(rest);
  };
  field((2 << 3) | 0, threads.intraOp);
  field((5 << 3) | 0, threads.interOp);
  return Uint8Array.from(bytes);
}
