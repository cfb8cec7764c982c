import { z } from 'zod';
import { ValidationError, joinPath } from '../../errors.js';

/** `[layer name, node index, tensor index]`: one tensor of a Keras graph. */
const TensorRefSchema = z.tuple([z.string(), z.number().int(), z.number().int()]);

/** Keras 2: `["dense", 0, 0, {call kwargs}]` (the kwargs are absent in old files). */
const Keras2InputSchema = z.tuple([z.string(), z.number().int(), z.number().int()], z.unknown());

/** Keras 3: `{"class_name": "__keras_tensor__", "config": {"keras_history": ["dense", 0, 0], ...}}`. */
const KerasTensorSchema = z.looseObject({
  class_name: z.literal('__keras_tensor__'),
  config: z.looseObject({ keras_history: TensorRefSchema }),
});

/** Keras 3: one call, `{"args": [tensor or [tensors]], "kwargs": {...}}`. */
const Keras3NodeSchema = z.looseObject({
  args: z.array(z.unknown()),
  kwargs: z.record(z.string(), z.unknown()).optional(),
});

type TensorRef = z.infer<typeof TensorRefSchema>;

function parse<T>(schema: z.ZodType<T>, value: unknown, path: string, expected: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw ValidationError.at(path, `expected ${expected}`);
  return parsed.data;
}

/**
 * The layer a tensor comes from. The project's form names layers, so only a
 * layer's first call (node 0) and its first output (tensor 0) can be named.
 */
function layerOf([name, node, tensor]: TensorRef, path: string): string {
  if (node !== 0) {
    throw ValidationError.at(path, `layer '${name}' is called more than once (node ${node}); shared layers are not supported`);
  }
  if (tensor !== 0) {
    throw ValidationError.at(path, `output ${tensor} of layer '${name}' is used; only a layer's first output can be`);
  }
  return name;
}

/**
 * Keras writes the call's keyword arguments. Keras 3 records `training=False`
 * and `mask=None` for every call it traced, and the model's own `training`
 * overrides them; in Keras 2 a `training` written down was the user's and sticks.
 */
function checkCallArguments(kwargs: Record<string, unknown>, keras3: boolean, path: string, layer: string): void {
  for (const [key, value] of Object.entries(kwargs)) {
    if (value === null || (keras3 && key === 'training' && value === false)) continue;
    throw ValidationError.at(
      joinPath(path, key),
      `call argument ${key}=${JSON.stringify(value)} of ${layer} is not supported`,
    );
  }
}

function keras2Inputs(node: unknown[], path: string, layer: string): string[] {
  return node.map((item, i) => {
    const itemPath = `${path}[${i}]`;
    const [name, nodeIndex, tensorIndex, kwargs] = parse(Keras2InputSchema, item, itemPath, '[layer name, node index, tensor index, kwargs]');
    if (kwargs !== undefined) {
      const record = parse(z.record(z.string(), z.unknown()), kwargs, `${itemPath}[3]`, 'the call arguments as an object');
      checkCallArguments(record, false, `${itemPath}[3]`, layer);
    }
    return layerOf([name, nodeIndex, tensorIndex], itemPath);
  });
}

function keras3Inputs(value: unknown, path: string, layer: string): string[] {
  const node = parse(Keras3NodeSchema, value, path, '{"args": [...], "kwargs": {...}}');
  if (node.args.length !== 1) {
    throw ValidationError.at(joinPath(path, 'args'), `a call with ${node.args.length} positional arguments is not supported`);
  }
  checkCallArguments(node.kwargs ?? {}, true, joinPath(path, 'kwargs'), layer);
  const [first] = node.args;
  const argsPath = joinPath(path, 'args[0]');
  const tensors = Array.isArray(first) ? first.map((tensor, i) => [tensor, `${argsPath}[${i}]`] as const) : [[first, argsPath] as const];
  return tensors.map(([tensor, tensorPath]) => {
    const parsed = parse(KerasTensorSchema, tensor, tensorPath, 'a Keras tensor');
    return layerOf(parsed.config.keras_history, tensorPath);
  });
}

/**
 * The names of the layers a functional layer takes its inputs from, from
 * either Keras's `inbound_nodes`; `layer` names it in messages.
 */
export function inboundLayers(nodes: unknown[] | undefined, path: string, layer: string): string[] {
  const nodesPath = joinPath(path, 'inbound_nodes');
  if (!nodes || nodes.length === 0) throw ValidationError.at(nodesPath, `${layer} is not connected to the model`);
  if (nodes.length > 1) {
    throw ValidationError.at(`${nodesPath}[1]`, `${layer} is called ${nodes.length} times; shared layers are not supported`);
  }
  const [node] = nodes;
  const nodePath = `${nodesPath}[0]`;
  return Array.isArray(node) ? keras2Inputs(node, nodePath, layer) : keras3Inputs(node, nodePath, layer);
}

/**
 * A Functional model's `input_layers` or `output_layers`: Keras 2 always
 * writes a list of refs; Keras 3 writes a single ref for a single tensor.
 */
export function endpointLayers(value: unknown, path: string): string[] {
  const refs = Array.isArray(value) && typeof value[0] === 'string' ? [value] : value;
  const list = parse(z.array(z.unknown()).min(1), refs, path, 'a list of [layer name, node index, tensor index]');
  return list.map((ref, i) => {
    const refPath = refs === value ? `${path}[${i}]` : path;
    return layerOf(parse(TensorRefSchema, ref, refPath, '[layer name, node index, tensor index]'), refPath);
  });
}
