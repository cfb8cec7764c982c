import { DType, addon, type AttrValue, type DTypeCode, type GraphAddon, type GraphHandle, type Output } from './addon.js';

const FLOAT: AttrValue = { kind: 'type', value: DType.float32 };

const isOutput = (input: Output | readonly Output[]): input is Output => typeof input[0] === 'string';

export interface OpOptions {
  name?: string;
  control?: readonly string[];
}

/**
 * Builds a TensorFlow graph op by op with unique names under scopes, and
 * offers the handful of ops the lowering uses under readable names. All float
 * ops are float32, as modelyard computes.
 */
export class GraphBuilder {
  readonly lib: GraphAddon;
  readonly graph: GraphHandle;
  private readonly used = new Set<string>();
  private readonly scopes: string[] = [];
  /** Each op's data inputs by op name, for `reaching`. */
  private readonly inputsOf = new Map<string, string[]>();

  constructor(lib: GraphAddon = addon()) {
    this.lib = lib;
    this.graph = lib.newGraph();
  }

  /** Runs `build` with every new name under `scope/`. */
  scoped<T>(scope: string, build: () => T): T {
    this.scopes.push(scope.replace(/[^A-Za-z0-9_.\-/]/g, '_'));
    try {
      return build();
    } finally {
      this.scopes.pop();
    }
  }

  uniqueName(base: string): string {
    const full = [...this.scopes, base].join('/');
    let name = full;
    for (let i = 1; this.used.has(name); i++) name = `${full}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Adds an operation; returns its first output (`outputs` names the others). */
  op(type: string, inputs: readonly (Output | readonly Output[])[], attrs: Record<string, AttrValue> = {}, options: OpOptions = {}): Output {
    const name = this.uniqueName(options.name ?? type);
    this.lib.addOperation(this.graph, { type, name, inputs, attrs, ...(options.control ? { control: options.control } : {}) });
    this.inputsOf.set(
      name,
      inputs.flatMap((input) => (isOutput(input) ? [input[0]] : input.map(([op]) => op))),
    );
    return [name, 0];
  }

  /**
   * Which of `xs` a gradient of `ys` can reach, walking data inputs back from
   * `ys` and stopping at the ops in `cuts` (a cut op itself is reached). The
   * C API fails on an x that no y depends on, so callers ask first.
   */
  reaching(ys: readonly Output[], xs: readonly Output[], cuts: ReadonlySet<string>): boolean[] {
    const seen = new Set<string>();
    const pending = ys.map(([op]) => op);
    for (let op = pending.pop(); op !== undefined; op = pending.pop()) {
      if (seen.has(op)) continue;
      seen.add(op);
      if (!cuts.has(op)) pending.push(...(this.inputsOf.get(op) ?? []));
    }
    return xs.map(([op]) => seen.has(op));
  }

  /** A float op with attribute T = float32. */
  f(type: string, inputs: readonly Output[], attrs: Record<string, AttrValue> = {}, options: OpOptions = {}): Output {
    return this.op(type, inputs, { T: FLOAT, ...attrs }, options);
  }

  /** An operation that only groups control dependencies. */
  group(name: string, control: readonly string[]): string {
    const [op] = this.op('NoOp', [], {}, { name, control });
    return op;
  }

  // ---------------------------------------------------------------- constants and inputs

  constant(values: readonly number[] | Float32Array, shape: readonly number[]): Output {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    return this.op('Const', [], { dtype: FLOAT, value: { kind: 'tensor', value: { dtype: DType.float32, shape, data } } }, { name: 'Const' });
  }

  scalar(value: number): Output {
    return this.constant([value], []);
  }

  ints(values: readonly number[]): Output {
    return this.op('Const', [], {
      dtype: { kind: 'type', value: DType.int32 },
      value: { kind: 'tensor', value: { dtype: DType.int32, shape: [values.length], data: Int32Array.from(values) } },
    });
  }

  intScalar(value: number): Output {
    return this.op('Const', [], {
      dtype: { kind: 'type', value: DType.int32 },
      value: { kind: 'tensor', value: { dtype: DType.int32, shape: [], data: Int32Array.from([value]) } },
    });
  }

  /** `shape` with -1 for the batch dimension or any other unknown one. */
  placeholder(name: string, shape: readonly number[], dtype: DTypeCode = DType.float32): Output {
    return this.op('Placeholder', [], { dtype: { kind: 'type', value: dtype }, shape: { kind: 'shape', value: shape } }, { name });
  }

  // ---------------------------------------------------------------- arithmetic

  add(a: Output, b: Output): Output {
    return this.f('AddV2', [a, b]);
  }
  sub(a: Output, b: Output): Output {
    return this.f('Sub', [a, b]);
  }
  mul(a: Output, b: Output): Output {
    return this.f('Mul', [a, b]);
  }
  div(a: Output, b: Output): Output {
    return this.f('RealDiv', [a, b]);
  }
  neg(x: Output): Output {
    return this.f('Neg', [x]);
  }
  square(x: Output): Output {
    return this.f('Square', [x]);
  }
  sqrt(x: Output): Output {
    return this.f('Sqrt', [x]);
  }
  rsqrt(x: Output): Output {
    return this.f('Rsqrt', [x]);
  }
  abs(x: Output): Output {
    return this.f('Abs', [x]);
  }
  exp(x: Output): Output {
    return this.f('Exp', [x]);
  }
  log(x: Output): Output {
    return this.f('Log', [x]);
  }
  log1p(x: Output): Output {
    return this.f('Log1p', [x]);
  }
  relu(x: Output): Output {
    return this.f('Relu', [x]);
  }
  sigmoid(x: Output): Output {
    return this.f('Sigmoid', [x]);
  }
  tanh(x: Output): Output {
    return this.f('Tanh', [x]);
  }
  softplus(x: Output): Output {
    return this.f('Softplus', [x]);
  }
  maximum(a: Output, b: Output): Output {
    return this.f('Maximum', [a, b]);
  }
  minimum(a: Output, b: Output): Output {
    return this.f('Minimum', [a, b]);
  }
  clip(x: Output, low: number, high: number): Output {
    return this.f('ClipByValue', [x, this.scalar(low), this.scalar(high)]);
  }
  matmul(a: Output, b: Output): Output {
    return this.f('MatMul', [a, b]);
  }
  stopGradient(x: Output): Output {
    return this.f('StopGradient', [x]);
  }
  cast(x: Output, to: DTypeCode, from: DTypeCode = DType.float32): Output {
    return this.op('Cast', [x], { SrcT: { kind: 'type', value: from }, DstT: { kind: 'type', value: to } });
  }

  // ---------------------------------------------------------------- reductions and shapes

  private reduce(type: string, x: Output, axes: readonly number[], keepDims: boolean): Output {
    return this.f(type, [x, this.ints(axes)], { keep_dims: { kind: 'bool', value: keepDims }, Tidx: { kind: 'type', value: DType.int32 } });
  }
  mean(x: Output, axes: readonly number[], keepDims = false): Output {
    return this.reduce('Mean', x, axes, keepDims);
  }
  sum(x: Output, axes: readonly number[], keepDims = false): Output {
    return this.reduce('Sum', x, axes, keepDims);
  }
  max(x: Output, axes: readonly number[], keepDims = false): Output {
    return this.reduce('Max', x, axes, keepDims);
  }

  /** The mean of every element, whatever the rank. */
  meanAll(x: Output, rank: number): Output {
    return rank === 0 ? x : this.mean(x, Array.from({ length: rank }, (_, i) => i));
  }

  reshape(x: Output, shape: readonly number[]): Output {
    return this.f('Reshape', [x, this.ints(shape)], { Tshape: { kind: 'type', value: DType.int32 } });
  }

  argmax(x: Output, axis: number): Output {
    return this.f('ArgMax', [x, this.intScalar(axis)], {
      Tidx: { kind: 'type', value: DType.int32 },
      output_type: { kind: 'type', value: DType.int32 },
    });
  }

  /** A float 0/1 of a comparison (Equal, Greater, GreaterEqual, ...), for metrics. */
  compare(type: string, a: Output, b: Output, dtype: DTypeCode = DType.float32): Output {
    const extra: Record<string, AttrValue> = type === 'Equal' ? { incompatible_shape_error: { kind: 'bool', value: true } } : {};
    const flag = this.op(type, [a, b], { T: { kind: 'type', value: dtype }, ...extra });
    return this.cast(flag, DType.float32, DType.bool);
  }

  /** The number of rows of `x`, as a float scalar: the batch size inside the graph. */
  rows(x: Output, dtype: DTypeCode = DType.float32): Output {
    const shape = this.op('Shape', [x], { T: { kind: 'type', value: dtype }, out_type: { kind: 'type', value: DType.int32 } });
    const first = this.op('StridedSlice', [shape, this.ints([0]), this.ints([1]), this.ints([1])], {
      T: { kind: 'type', value: DType.int32 },
      Index: { kind: 'type', value: DType.int32 },
      shrink_axis_mask: { kind: 'int', value: 1 },
    });
    return this.cast(first, DType.float32, DType.int32);
  }
}
