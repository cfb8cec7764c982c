import { ValidationError, joinPath } from '../../errors.js';
import { entryOf } from '../catalogue.js';
import type { LayerConfig } from '../definition/layers.js';
import type { FunctionalArchitecture } from '../definition/schema.js';
import { LayerNames } from './layer-names.js';
import { topologicalOrder } from './topological-order.js';
import type { ModelGraph } from './types.js';

export function functionalGraph(arch: FunctionalArchitecture): ModelGraph {
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
