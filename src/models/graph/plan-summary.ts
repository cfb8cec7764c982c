import type { ModelDefinition } from '../definition/schema.js';
import type { SampleShape } from '../layers/shape.js';
import type { LayerSummary, ModelSummary } from '../model-summary.js';
import type { ModelLimits } from './limits.js';
import { planModel, trainableParams, type ModelPlan } from './plan.js';
import type { ModelGraph } from './types.js';

/**
 * Checks names, wiring, shapes and limits without allocating a tensor, and
 * returns the summary Keras's `model.summary()` would print; null when the
 * input shape is left to the data and not given here.
 */
export function checkModel(def: ModelDefinition, limits: ModelLimits, inputShape?: number[]): ModelSummary | null {
  const plan = planModel(def, limits, inputShape);
  return plan && summaryOfPlan(plan);
}

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
