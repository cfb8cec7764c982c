import type { LayerConfig } from '../definition/layers.js';
import type { LayerEntry } from '../layers/define.js';
import type { SampleShape } from '../layers/shape.js';

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

/** A model as the checker and builder see it: one input, layers in dependency order, one output. */
export interface ModelGraph {
  kind: 'sequential' | 'functional';
  input: { name: string; path: string; shape: SampleShape | null };
  nodes: GraphNode[];
  output: string;
}
