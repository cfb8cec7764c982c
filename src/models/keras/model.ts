import { z } from 'zod';
import { ValidationError, fromZodError, joinPath } from '../../errors.js';
import type { ArchitectureInput } from '../definition/schema.js';
import { KerasLayerSchema, convertLayer, describeLayer, type KerasLayer, type LayerDefinition } from './layers.js';
import { inboundLayers, endpointLayers } from './nodes.js';

type SequentialInput = Extract<ArchitectureInput, { type: 'sequential' }>;
type FunctionalInput = Extract<ArchitectureInput, { type: 'functional' }>;

const KerasModelSchema = z.looseObject({ class_name: z.string(), config: z.unknown() });

/** Early Keras 2 releases wrote a Sequential's config as the bare list of layers. */
const SequentialConfigSchema = z.union([
  z.array(KerasLayerSchema),
  z.looseObject({ layers: z.array(KerasLayerSchema), build_input_shape: z.unknown().optional() }),
]);

const FunctionalConfigSchema = z.looseObject({
  layers: z.array(KerasLayerSchema),
  input_layers: z.unknown(),
  output_layers: z.unknown(),
});

const Dimension = z.number().int().positive().nullable();
const KerasBatchShapeSchema = z.array(Dimension).min(2);

/** A per-sample shape; `null` entries are Keras's `None`, a size left to the data. */
type PartialShape = (number | null)[];

function withoutBatch(batchShape: unknown, path: string): PartialShape {
  const parsed = KerasBatchShapeSchema.safeParse(batchShape);
  if (!parsed.success) {
    throw ValidationError.at(path, 'expected a batch shape: null, then one positive integer or null per dimension');
  }
  const [batch, ...sample] = parsed.data;
  if (batch !== null) throw ValidationError.at(path, `a fixed batch size (${batch}) is not supported`);
  return sample;
}

function isKnown(shape: PartialShape): shape is number[] {
  return shape.every((d) => d !== null);
}

const INPUT_LAYER_FLAGS = ['sparse', 'ragged', 'optional'] as const;
const INPUT_LAYER_KEYS = new Set(['name', 'dtype', 'batch_shape', 'batch_input_shape', 'batch_size', ...INPUT_LAYER_FLAGS]);

/**
 * An InputLayer's per-sample shape. Its dtype is dropped: layers compute in
 * float32 and Embedding reads integer ids from floats.
 */
function kerasInputLayerShape(layer: KerasLayer, path: string): PartialShape {
  const { config } = layer;
  const configPath = joinPath(path, 'config');
  for (const flag of INPUT_LAYER_FLAGS) {
    if (config[flag]) throw ValidationError.at(joinPath(configPath, flag), `${flag} inputs are not supported`);
  }
  if (config.dtype !== undefined && !/^(float|u?int)\d+$|^bool$/.test(String(config.dtype))) {
    throw ValidationError.at(joinPath(configPath, 'dtype'), `input dtype ${JSON.stringify(config.dtype)} is not supported`);
  }
  for (const [key, value] of Object.entries(config)) {
    if (!INPUT_LAYER_KEYS.has(key) && value !== null) {
      throw ValidationError.at(joinPath(configPath, key), `argument '${key}' of Keras InputLayer is not supported`);
    }
  }
  const key = config.batch_shape !== undefined ? 'batch_shape' : 'batch_input_shape';
  return withoutBatch(config[key], joinPath(configPath, key));
}

/** Keras 2 gives a Sequential's input shape on its first layer. */
function kerasFirstLayerShape(layer: KerasLayer, path: string): PartialShape | undefined {
  const shape = layer.config.batch_input_shape ?? layer.config.batch_shape;
  if (shape === undefined || shape === null) return undefined;
  const key = layer.config.batch_input_shape !== undefined ? 'batch_input_shape' : 'batch_shape';
  return withoutBatch(shape, joinPath(joinPath(path, 'config'), key));
}

function fromSequential(config: unknown, path: string): SequentialInput {
  const parsed = SequentialConfigSchema.safeParse(config);
  if (!parsed.success) throw fromZodError(parsed.error, path);
  const { data } = parsed;
  const entries = Array.isArray(data) ? data : data.layers;
  const layersPath = Array.isArray(data) ? path : joinPath(path, 'layers');

  let shape: PartialShape | undefined;
  const layers: LayerDefinition[] = [];
  entries.forEach((entry, i) => {
    const layerPath = `${layersPath}[${i}]`;
    if (entry.class_name === 'InputLayer') {
      if (i !== 0) throw ValidationError.at(layerPath, 'an InputLayer can only be the first layer of a Sequential model');
      shape = kerasInputLayerShape(entry, layerPath);
      return;
    }
    if (layers.length === 0) shape ??= kerasFirstLayerShape(entry, layerPath);
    layers.push(convertLayer(entry, layerPath));
  });
  if (shape === undefined && !Array.isArray(data) && data.build_input_shape != null) {
    shape = withoutBatch(data.build_input_shape, joinPath(path, 'build_input_shape'));
  }

  // A size Keras left as None is the data's to decide, as when no shape is given at all.
  return shape !== undefined && isKnown(shape)
    ? { type: 'sequential', input_shape: shape, layers }
    : { type: 'sequential', layers };
}

function fromFunctional(config: unknown, path: string): FunctionalInput {
  const parsed = FunctionalConfigSchema.safeParse(config);
  if (!parsed.success) throw fromZodError(parsed.error, path);
  const layersPath = joinPath(path, 'layers');

  const inputShapes = new Map<string, number[]>();
  const layers: FunctionalInput['layers'] = [];
  parsed.data.layers.forEach((entry, i) => {
    const layerPath = `${layersPath}[${i}]`;
    if (entry.class_name === 'InputLayer') {
      const name = String(entry.config.name ?? entry.name);
      const shape = kerasInputLayerShape(entry, layerPath);
      if (!isKnown(shape)) {
        throw ValidationError.at(
          joinPath(layerPath, 'config'),
          `input '${name}' has a dimension of unknown size (None); a functional model's inputs need every size but the batch`,
        );
      }
      inputShapes.set(name, shape);
      return;
    }
    const { type, name, ...args } = convertLayer(entry, layerPath);
    layers.push({ type, name: name ?? String(entry.name), inputs: inboundLayers(entry.inbound_nodes, layerPath, describeLayer(entry)), ...args });
  });

  const inputsPath = joinPath(path, 'input_layers');
  const inputs = endpointLayers(parsed.data.input_layers, inputsPath).map((name) => {
    const shape = inputShapes.get(name);
    if (!shape) throw ValidationError.at(inputsPath, `model input '${name}' is not an InputLayer of the model`);
    return { name, shape };
  });
  return { type: 'functional', inputs, layers, outputs: endpointLayers(parsed.data.output_layers, joinPath(path, 'output_layers')) };
}

/**
 * The architecture that Keras's `model.to_json()` describes (Keras 3, or
 * Keras 2 / tf.keras; Sequential or Functional), in the project's own
 * `sequential` or `functional` form. `config` is the parsed JSON. Error paths
 * are relative to it (`config.layers[3]`) unless `path` says where it sits in
 * the request (`architecture.config`).
 */
export function kerasToArchitecture(config: unknown, path = ''): ArchitectureInput {
  const model = KerasModelSchema.safeParse(config);
  if (!model.success) {
    throw ValidationError.at(path, "expected the JSON that Keras's model.to_json() writes: {\"class_name\", \"config\"}");
  }
  const configPath = joinPath(path, 'config');
  switch (model.data.class_name) {
    case 'Sequential':
      return fromSequential(model.data.config, configPath);
    case 'Functional':
    case 'Model':
      return fromFunctional(model.data.config, configPath);
    default:
      throw ValidationError.at(
        joinPath(path, 'class_name'),
        `Keras model class '${model.data.class_name}' is not supported: export a Sequential or Functional model`,
      );
  }
}
