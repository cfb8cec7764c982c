import { ValidationError } from '../../errors.js';
import type { GraphNode, ModelGraph } from './types.js';

export interface ModelLimits {
  maxParams: number;
  maxLayers: number;
}

export function checkLayerCount(graph: ModelGraph, limits: ModelLimits): void {
  if (graph.nodes.length > limits.maxLayers) {
    throw ValidationError.at('architecture.layers', `the model has ${graph.nodes.length} layers; the limit is ${limits.maxLayers}`);
  }
}

/** `total` counts the parameters up to and including `node`'s `params`. */
export function checkParamCount(node: GraphNode, params: number, total: number, limits: ModelLimits): void {
  if (total <= limits.maxParams) return;
  const count = (n: number) => n.toLocaleString('en-US');
  throw ValidationError.at(
    node.path,
    `${node.type} "${node.name}" has ${count(params)} parameters, which brings the model to ${count(total)}; ` +
      `the limit is ${count(limits.maxParams)}`,
  );
}
