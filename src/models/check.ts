import { ValidationError, joinPath } from '../errors.js';
import { entryOf, isOwnArgument, type LayerConfig } from './catalogue.js';
import { type Inferred, type LayerEntry } from './layers/define.js';
import { formatKerasShape, type SampleShape } from './layers/shape.js';
import { inputLayerShape } from './layers/core.js';
import type { FunctionalArchitecture, ModelDefinition, SequentialArchitecture } from './schema.js';
import type { LayerSummary, ModelSummary } from './summary.js';

export interface ModelLimits {
  maxParams: number;
  maxLayers: number;
}

/** One layer of the model, named and wired, in an order where inputs come first. */
export interface GraphNode {
  name: string;
  type: string;
  /** Where the layer sits in the definition, for error messages: `architecture.layers[3]`. */
  path: string;
  config: LayerConfig;
  entry: LayerEntry;
  /** Names of the nodes or the input this layer reads. */
  inputs: string[];
}

export interface ModelGraph {
  kind: 'sequential' | 'functional';
  input: { name: string; path: string; shape: SampleShape | null };
  nodes: GraphNode[];
  output: string;
}

/** A graph with every shape and parameter count known: what the builder builds. */
export interface ModelPlan {
  graph: ModelGraph;
  inputShape: SampleShape;
  shapes: Map<string, SampleShape>;
  params: Map<string, Inferred>;
}

/**
 * Checks names, wiring, shapes and limits without allocating a tensor, and
 * returns the summary Keras's `model.summary()` would print; null when the
 * input shape is left to the data and not given here.
 */
export function checkModel(def: ModelDefinition, limits: ModelLimits, inputShape?: number[]): ModelSummary | null {
  const plan = planModel(def, limits, inputShape);
  return plan && summaryOfPlan(plan);
}

/** The checked graph with its shapes, for the builder; null while the input shape is unknown. */
export function planModel(def: ModelDefinition, limits: ModelLimits, inputShape?: number[]): ModelPlan | null {
  const graph = graphOf(def);
  if (graph.nodes.length > limits.maxLayers) {
    throw ValidationError.at('architecture.layers', `the model has ${graph.nodes.length} layers; the limit is ${limits.maxLayers}`);
  }
  const shape = resolveInputShape(graph, inputShape);
  if (!shape) return null;

  const shapes = new Map<string, SampleShape>([[graph.input.name, shape]]);
  const params = new Map<string, Inferred>();
  let total = 0;
  for (const node of graph.nodes) {
    const inputs = node.inputs.map((name) => shapes.get(name) as SampleShape);
    const inferred = node.entry.infer(node.config, inputs, node.path);
    total += inferred.params;
    if (total > limits.maxParams) {
      const count = (n: number) => n.toLocaleString('en-US');
      throw ValidationError.at(
        node.path,
        `${node.type} "${node.name}" has ${count(inferred.params)} parameters, which brings the model to ${count(total)}; ` +
          `the limit is ${count(limits.maxParams)}`,
      );
    }
    shapes.set(node.name, inferred.shape);
    params.set(node.name, inferred);
  }
  if (trainableParams(graph, params) === 0) {
    throw ValidationError.at('architecture.layers', 'the model has no trainable weights, and TensorFlow.js cannot fit such a model');
  }
  return { graph, inputShape: shape, shapes, params };
}

function trainableParams(graph: ModelGraph, params: Map<string, Inferred>): number {
  let trainable = 0;
  for (const node of graph.nodes) {
    const inferred = params.get(node.name) as Inferred;
    if (node.config.trainable) trainable += inferred.params - (inferred.nonTrainableParams ?? 0);
  }
  return trainable;
}

/**
 * The per-sample input shape a definition declares: null when it leaves it
 * to the data (a sequential model without `input_shape`, as Keras allows).
 */
export function inputShapeOf(def: ModelDefinition): number[] | null {
  return graphOf(def).input.shape;
}

/** Names, wiring and structure: everything that can be checked without shapes. */
export function checkStructure(def: ModelDefinition): void {
  graphOf(def);
}

function resolveInputShape(graph: ModelGraph, given: number[] | undefined): SampleShape | null {
  const declared = graph.input.shape;
  if (!given) return declared;
  if (given.length === 0 || given.some((d) => !Number.isInteger(d) || d < 1)) {
    throw ValidationError.at(graph.input.path, `the data's per-sample shape ${formatKerasShape(given)} is not a valid input shape`);
  }
  if (declared && (declared.length !== given.length || declared.some((d, i) => d !== given[i]))) {
    throw ValidationError.at(
      graph.input.path,
      `the model expects input of shape ${formatKerasShape(declared)}, found data of shape ${formatKerasShape(given)}`,
    );
  }
  return [...given];
}

// ---------------------------------------------------------------- structure

export function graphOf(def: ModelDefinition): ModelGraph {
  return def.architecture.type === 'sequential' ? sequentialGraph(def.architecture) : functionalGraph(def.architecture);
}

const FIRST_LAYER_SHAPE_KEYS = ['input_shape', 'input_dim', 'batch_input_shape'] as const;

function firstLayerShape(layer: LayerConfig, key: (typeof FIRST_LAYER_SHAPE_KEYS)[number]): SampleShape {
  if (key === 'input_dim') return [layer.input_dim as number];
  if (key === 'input_shape') return layer.input_shape as SampleShape;
  return (layer.batch_input_shape as SampleShape).slice(1);
}

function sequentialGraph(arch: SequentialArchitecture): ModelGraph {
  const layers = arch.layers;
  const sources: { shape: SampleShape; path: string }[] = [];
  if (arch.input_shape) sources.push({ shape: arch.input_shape, path: 'architecture.input_shape' });

  const [first] = layers;
  const explicitInput = first?.type === 'InputLayer' ? first : undefined;
  if (explicitInput) sources.push({ shape: inputLayerShape(explicitInput, 'architecture.layers[0]'), path: 'architecture.layers[0]' });
  layers.forEach((layer, i) => {
    const path = `architecture.layers[${i}]`;
    if (i > 0 && layer.type === 'InputLayer') {
      throw ValidationError.at(path, 'an InputLayer can only be the first layer of a sequential model');
    }
    if (layer.type === 'InputLayer') return;
    for (const key of FIRST_LAYER_SHAPE_KEYS) {
      if (layer[key] === undefined || isOwnArgument(layer.type, key)) continue;
      if (i > 0) throw ValidationError.at(joinPath(path, key), `${key} can only be given on the first layer`);
      sources.push({ shape: firstLayerShape(layer, key), path: joinPath(path, key) });
    }
  });
  const [source, ...others] = sources;
  for (const other of others) {
    if (!source || other.shape.length !== source.shape.length || other.shape.some((d, i) => d !== source.shape[i])) {
      throw ValidationError.at(
        other.path,
        `the input shape is given twice and differs: ${formatKerasShape(source?.shape ?? [])} at ${source?.path}, ` +
          `${formatKerasShape(other.shape)} here`,
      );
    }
  }

  const body = explicitInput ? layers.slice(1) : layers;
  const offset = explicitInput ? 1 : 0;
  if (body.length === 0) {
    throw ValidationError.at('architecture.layers', 'a sequential model needs at least one layer after its InputLayer');
  }

  const names = new LayerNames();
  body.forEach((layer, i) => names.claim(layer.name, `architecture.layers[${i + offset}].name`));
  const nodes = body.map((config, i) => ({
    name: config.name ?? names.fresh(config.type),
    type: config.type,
    path: `architecture.layers[${i + offset}]`,
    config,
    entry: entryOf(config.type),
    inputs: [] as string[],
  }));
  // tfjs names a Sequential model's hidden InputLayer after the first layer.
  const inputName = `${(nodes[0] as GraphNode).name}_input`;
  names.reserve(inputName, 'the hidden input layer of a sequential model');
  nodes.forEach((node, i) => node.inputs.push(i === 0 ? inputName : (nodes[i - 1] as GraphNode).name));
  const inputPath = source?.path ?? 'architecture.input_shape';
  return {
    kind: 'sequential',
    input: { name: inputName, path: inputPath, shape: source ? [...source.shape] : null },
    nodes,
    output: (nodes.at(-1) as GraphNode).name,
  };
}

function functionalGraph(arch: FunctionalArchitecture): ModelGraph {
  const [input] = arch.inputs;
  const [output] = arch.outputs;
  if (!input || !output) throw new Error('the schema guarantees one input and one output');
  const names = new LayerNames();
  names.claim(input.name, 'architecture.inputs[0].name');
  const layers = arch.layers;
  layers.forEach((layer, i) => names.claim(layer.name, `architecture.layers[${i}].name`));

  const byName = new Map(layers.map((layer, i) => [layer.name, i]));
  layers.forEach((layer, i) => {
    const entry = entryOf(layer.type);
    const path = `architecture.layers[${i}]`;
    layer.inputs.forEach((name, j) => {
      if (name !== input.name && !byName.has(name)) {
        throw ValidationError.at(joinPath(path, `inputs[${j}]`), `no input or layer is named "${name}"`);
      }
    });
    if (!entry.merge && layer.inputs.length !== 1) {
      throw ValidationError.at(joinPath(path, 'inputs'), `${layer.type} takes one input, found ${layer.inputs.length}`);
    }
  });

  const order = topologicalOrder(layers, input.name);
  if (output === input.name) throw ValidationError.at('architecture.outputs[0]', `"${output}" is the model's input; outputs name layers`);
  if (!byName.has(output)) throw ValidationError.at('architecture.outputs[0]', `no layer named "${output}" produces an output`);

  const used = new Set<string>();
  const mark = (name: string) => {
    if (used.has(name)) return;
    used.add(name);
    const index = byName.get(name);
    if (index !== undefined) for (const source of (layers[index] as { inputs: string[] }).inputs) mark(source);
  };
  mark(output);
  layers.forEach((layer, i) => {
    if (!used.has(layer.name)) {
      throw ValidationError.at(`architecture.layers[${i}]`, `layer "${layer.name}" does not lead to the output "${output}"`);
    }
  });

  const nodes = order.map((i) => {
    const config = layers[i] as LayerConfig & { name: string; inputs: string[] };
    const path = `architecture.layers[${i}]`;
    return { name: config.name, type: config.type, path, config, entry: entryOf(config.type), inputs: config.inputs };
  });
  return { kind: 'functional', input: { name: input.name, path: 'architecture.inputs[0].shape', shape: [...input.shape] }, nodes, output };
}

/** Kahn's algorithm, keeping the definition's order where it is free to; a cycle is an error naming it. */
function topologicalOrder(layers: { name: string; inputs: string[] }[], inputName: string): number[] {
  const done = new Set([inputName]);
  const order: number[] = [];
  const pending = layers.map((_, i) => i);
  while (pending.length > 0) {
    const ready = pending.findIndex((i) => (layers[i] as { inputs: string[] }).inputs.every((name) => done.has(name)));
    if (ready < 0) {
      const cycle = findCycle(layers, new Set(pending.map((i) => (layers[i] as { name: string }).name)));
      const start = layers.findIndex((layer) => layer.name === cycle[0]);
      throw ValidationError.at(`architecture.layers[${start}].inputs`, `layers form a cycle: ${cycle.join(' → ')}`);
    }
    const [index] = pending.splice(ready, 1) as [number];
    order.push(index);
    done.add((layers[index] as { name: string }).name);
  }
  return order;
}

/** Among layers that never became ready, follows unready inputs until a name repeats. */
function findCycle(layers: { name: string; inputs: string[] }[], stuck: Set<string>): string[] {
  const byName = new Map(layers.map((layer) => [layer.name, layer]));
  const path: string[] = [];
  let current = [...stuck][0] as string;
  while (!path.includes(current)) {
    path.push(current);
    current = (byName.get(current)?.inputs ?? []).find((name) => stuck.has(name)) as string;
  }
  return [...path.slice(path.indexOf(current)), current];
}

/** Layer names unique within a model, and Keras's names (`dense`, `dense_1`, ...) for the unnamed. */
class LayerNames {
  private readonly taken = new Map<string, string>();
  private readonly counters = new Map<string, number>();

  claim(name: string | undefined, path: string): void {
    if (name === undefined) return;
    const previous = this.taken.get(name);
    if (previous !== undefined) throw ValidationError.at(path, `duplicate layer name "${name}" (also at ${previous})`);
    this.taken.set(name, path);
  }

  /** A name tfjs will use; a layer of the definition that has it must be renamed. */
  reserve(name: string, purpose: string): void {
    const holder = this.taken.get(name);
    if (holder !== undefined) throw ValidationError.at(holder, `the name "${name}" is taken by ${purpose}; rename this layer`);
    this.taken.set(name, purpose);
  }

  fresh(type: string): string {
    const base = snakeCase(type);
    for (;;) {
      const count = this.counters.get(base) ?? 0;
      this.counters.set(base, count + 1);
      const name = count === 0 ? base : `${base}_${count}`;
      if (!this.taken.has(name)) {
        this.taken.set(name, '(generated)');
        return name;
      }
    }
  }
}

/** Keras's `to_snake_case`: `MaxPooling2D` → `max_pooling2d`, `LSTM` → `lstm`. */
export function snakeCase(name: string): string {
  return name
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

// ---------------------------------------------------------------- summary

function summaryOfPlan(plan: ModelPlan): ModelSummary {
  const { graph } = plan;
  const row = (name: string, type: string): LayerSummary => ({
    name,
    type,
    output_shape: [null, ...(plan.shapes.get(name) as SampleShape)],
    params: plan.params.get(name)?.params ?? 0,
  });
  const rows = new Map(graph.nodes.map((node) => [node.name, row(node.name, node.type)]));
  rows.set(graph.input.name, row(graph.input.name, 'InputLayer'));
  // Keras lists a Sequential model's layers without its input; a functional model's with it, in tfjs's order.
  const order = graph.kind === 'sequential' ? graph.nodes.map((node) => node.name) : functionalOrder(graph);
  const layers = order.map((name) => rows.get(name) as LayerSummary);

  const total = layers.reduce((sum, layer) => sum + layer.params, 0);
  const trainable = trainableParams(graph, plan.params);
  return {
    layers,
    total_params: total,
    trainable_params: trainable,
    non_trainable_params: total - trainable,
    input_shape: [null, ...plan.inputShape],
    output_shape: [null, ...(plan.shapes.get(graph.output) as SampleShape)],
  };
}

/**
 * tfjs's `Container` layer order: by depth (the longest path to the output)
 * descending, ties by first visit in a depth-first walk back from the output.
 */
function functionalOrder(graph: ModelGraph): string[] {
  const inputsOf = new Map(graph.nodes.map((node) => [node.name, node.inputs]));
  const visit = new Map<string, number>();
  const walk = (name: string) => {
    if (visit.has(name)) return;
    visit.set(name, visit.size);
    for (const source of inputsOf.get(name) ?? []) walk(source);
  };
  walk(graph.output);

  const depth = new Map<string, number>([[graph.output, 0]]);
  for (const node of [...graph.nodes].reverse()) {
    const own = depth.get(node.name) ?? 0;
    for (const source of node.inputs) depth.set(source, Math.max(depth.get(source) ?? 0, own + 1));
  }
  return [...visit.keys()].sort(
    (a, b) => (depth.get(b) ?? 0) - (depth.get(a) ?? 0) || (visit.get(a) ?? 0) - (visit.get(b) ?? 0),
  );
}
