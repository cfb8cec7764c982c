import { ValidationError } from '../../errors.js';
import type { ModelDefinition } from '../definition/schema.js';
import type { Inferred } from '../layers/define.js';
import type { SampleShape } from '../layers/shape.js';
import { graphOf } from './graph.js';
import { resolveInputShape } from './input-shape.js';
import { checkLayerCount, checkParamCount, type ModelLimits } from './limits.js';
import type { ModelGraph } from './types.js';

/** A graph with every shape and parameter count known: what the builder builds. */
export interface ModelPlan {
  graph: ModelGraph;
  inputShape: SampleShape;
  shapes: Map<string, SampleShape>;
  params: Map<string, Inferred>;
}

/** The checked graph with its shapes, for the builder; null while the input shape is unknown. */
export function planModel(def: ModelDefinition, limits: ModelLimits, inputShape?: number[]): ModelPlan | null {
  const graph = graphOf(def);
  checkLayerCount(graph, limits);
  const shape = resolveInputShape(graph, inputShape);
  if (!shape) return null;

  const shapes = new Map<string, SampleShape>([[graph.input.name, shape]]);
  const params = new Map<string, Inferred>();
  let total = 0;
  for (const node of graph.nodes) {
    const inputs = node.inputs.map((name) => shapes.get(name) as SampleShape);
    const inferred = node.entry.infer(node.config, inputs, node.path);
    total += inferred.params;
    checkParamCount(node, inferred.params, total, limits);
    shapes.set(node.name, inferred.shape);
    params.set(node.name, inferred);
  }
  if (trainableParams(graph, params) === 0) {
    throw ValidationError.at('architecture.layers', 'the model has no trainable weights, and TensorFlow.js cannot fit such a model');
  }
  return { graph, inputShape: shape, shapes, params };
}

export function trainableParams(graph: ModelGraph, params: Map<string, Inferred>): number {
  let trainable = 0;
  for (const node of graph.nodes) {
    const inferred = params.get(node.name) as Inferred;
    if (node.config.trainable) trainable += inferred.params - (inferred.nonTrainableParams ?? 0);
  }
  return trainable;
}
