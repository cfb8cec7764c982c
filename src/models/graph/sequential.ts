import { ValidationError, joinPath } from '../../errors.js';
import { entryOf, isOwnArgument } from '../catalogue.js';
import type { LayerConfig } from '../definition/layers.js';
import type { SequentialArchitecture } from '../definition/schema.js';
import { inputLayerShape } from '../layers/core.js';
import { formatKerasShape, type SampleShape } from '../layers/shape.js';
import { LayerNames } from './layer-names.js';
import type { GraphNode, ModelGraph } from './types.js';

const FIRST_LAYER_SHAPE_KEYS = ['input_shape', 'input_dim', 'batch_input_shape'] as const;

function firstLayerShape(layer: LayerConfig, key: (typeof FIRST_LAYER_SHAPE_KEYS)[number]): SampleShape {
  if (key === 'input_dim') return [layer.input_dim as number];
  if (key === 'input_shape') return layer.input_shape as SampleShape;
  return (layer.batch_input_shape as SampleShape).slice(1);
}

export function sequentialGraph(arch: SequentialArchitecture): ModelGraph {
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
