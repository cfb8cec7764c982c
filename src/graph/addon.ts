import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** TensorFlow's TF_DataType codes for the dtypes the engine feeds and fetches. */
export const DType = { float32: 1, float64: 2, int32: 3, uint8: 4, int64: 9, bool: 10, resource: 20 } as const;
export type DTypeCode = (typeof DType)[keyof typeof DType];

/** An operation's output: its name in the graph and the output's index. */
export type Output = readonly [name: string, index: number];

export type TypedData = Float32Array | Float64Array | Int32Array | Uint8Array | BigInt64Array;

export interface TensorValue {
  dtype: DTypeCode;
  shape: readonly number[];
  data: TypedData;
}

export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'type'; value: DTypeCode }
  | { kind: 'float'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'string'; value: string }
  | { kind: 'shape'; value: readonly number[] | null }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'types'; value: readonly DTypeCode[] }
  | { kind: 'tensor'; value: TensorValue };

export interface OperationSpec {
  type: string;
  name: string;
  /** One entry per declared input; a list input is a list of outputs. */
  inputs?: readonly (Output | readonly Output[])[];
  control?: readonly string[];
  attrs?: Record<string, AttrValue>;
  device?: string;
}

declare const graphBrand: unique symbol;
declare const sessionBrand: unique symbol;
export type GraphHandle = { readonly [graphBrand]: true };
export type SessionHandle = { readonly [sessionBrand]: true };

/** The native addon's functions (native/graph/graph_binding.cc). */
export interface GraphAddon {
  version(): string;
  newGraph(): GraphHandle;
  /** Returns the operation's number of outputs. */
  addOperation(graph: GraphHandle, spec: OperationSpec): number;
  /** d(sum of ys, each seeded by its dy)/d xs, as new outputs named under `prefix`. */
  addGradients(graph: GraphHandle, prefix: string, ys: readonly Output[], xs: readonly Output[], dys: readonly Output[] | null): Output[];
  /** The static shape, -1 for unknown dimensions; null for an unknown rank. */
  outputShape(graph: GraphHandle, output: Output): number[] | null;
  newSession(graph: GraphHandle, configProto: Uint8Array): SessionHandle;
  closeSession(session: SessionHandle): void;
  /** TF_SessionRun on libuv's thread pool. */
  run(
    session: SessionHandle,
    graph: GraphHandle,
    feeds: readonly (readonly [Output, TensorValue])[],
    fetches: readonly Output[],
    targets: readonly string[],
  ): Promise<TensorValue[]>;
}

const here = dirname(fileURLToPath(import.meta.url));
/** The built addon, from src/graph or dist/graph alike. */
export const ADDON_PATH = resolve(here, '..', '..', 'native', 'graph', 'build', 'Release', 'modelyard_graph.node');

let loaded: { addon: GraphAddon } | { error: string } | undefined;

/** The addon, or why it is not available; loaded once per process. */
export function loadAddon(): { addon: GraphAddon } | { error: string } {
  if (loaded) return loaded;
  if (!existsSync(ADDON_PATH)) {
    loaded = { error: `the graph addon is not built (${join('native', 'graph')}; npm ci builds it)` };
    return loaded;
  }
  try {
    const require = createRequire(import.meta.url);
    loaded = { addon: require(ADDON_PATH) as GraphAddon };
  } catch (error) {
    loaded = { error: `the graph addon does not load: ${error instanceof Error ? error.message : String(error)}` };
  }
  return loaded;
}

export function addon(): GraphAddon {
  const result = loadAddon();
  if ('error' in result) throw new Error(result.error);
  return result.addon;
}
