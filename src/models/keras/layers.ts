import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { ValidationError, fromZodError, joinPath, type ErrorDetail } from '../../errors.js';
import { CATALOGUE } from '../catalogue.js';
import { InitializerSchema, initializerClass, type InitializerSpec } from '../initializers.js';

/** One layer as Keras serializes it, in a Sequential's or a Functional's `layers`. */
export const KerasLayerSchema = z.looseObject({
  class_name: z.string(),
  config: z.record(z.string(), z.unknown()),
  module: z.string().nullish(),
  registered_name: z.string().nullish(),
  name: z.string().optional(),
  build_config: z.unknown().optional(),
  inbound_nodes: z.array(z.unknown()).optional(),
});
export type KerasLayer = z.infer<typeof KerasLayerSchema>;

/** A layer in the project's form: the Keras class name, then Keras's arguments. */
export interface LayerDefinition {
  type: string;
  name?: string;
  [argument: string]: unknown;
}

const always = () => true;

/**
 * Keras arguments that change nothing modelyard computes when they hold these
 * values, whether or not the catalogue knows them.
 */
const INERT: Record<string, (value: unknown) => boolean> = {
  dtype: isFloat32,
  // A Sequential's input shape is read from its first layer before the layer is converted;
  // on any other layer Keras ignores it.
  batch_input_shape: always,
  batch_shape: always,
  batch_size: (value) => value === null,
  // Speed options: one implementation computes the same result in TensorFlow.js.
  implementation: always,
  use_cudnn: always,
  time_major: (value) => value === false,
  zero_output_for_mask: (value) => value === false,
  renorm: (value) => value === false,
  // Read only when renorm is on.
  renorm_momentum: always,
  sparse: (value) => value === false,
  autocast: (value) => value === true,
};

function isFloat32(value: unknown): boolean {
  if (value === 'float32' || value === null) return true;
  const policy = value as { class_name?: unknown; config?: { name?: unknown } } | undefined;
  return (
    typeof policy === 'object' &&
    (policy.class_name === 'DTypePolicy' || policy.class_name === 'Policy') &&
    policy.config?.name === 'float32'
  );
}

/** Keras's serialized object, `{module, class_name, config, registered_name}`. */
interface KerasObject {
  class_name: string;
  config: Record<string, unknown>;
}

function asKerasObject(value: unknown): KerasObject | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { class_name, config } = value as { class_name?: unknown; config?: unknown };
  if (typeof class_name !== 'string') return undefined;
  const fields = typeof config === 'object' && config !== null && !Array.isArray(config) ? config : {};
  return { class_name, config: fields as Record<string, unknown> };
}

/** Without Keras's bookkeeping and its `None`s: what the catalogue's schemas read. */
function plainObject(object: KerasObject): KerasObject {
  return {
    class_name: object.class_name,
    config: Object.fromEntries(Object.entries(object.config).filter(([, value]) => value !== null)),
  };
}

/** `GlorotUniform` → `glorot_uniform`; Keras 3's `OrthogonalInitializer` is `orthogonal`. */
function initializerName(className: string): string {
  return className
    .replace(/Initializer$/, '')
    .replace(/(?<=[a-z0-9])([A-Z])/g, '_$1')
    .toLowerCase();
}

type SerializedInitializer = Exclude<InitializerSpec, string>;

/** The same initializer, however Keras spelled it: class and arguments with their defaults filled in. */
function initializerIdentity(spec: InitializerSpec): { class_name: string; config: unknown } {
  // An object in, an object out: the schema only fills in defaults.
  const object = typeof spec === 'string' ? (InitializerSchema.parse({ class_name: initializerClass(spec) }) as SerializedInitializer) : spec;
  return { class_name: object.class_name.replace(/Initializer$/, ''), config: object.config };
}

/**
 * Keras 3 writes every initializer as an object; one with its default
 * arguments becomes Keras's string name (`glorot_uniform`), one with other
 * arguments (a seed, a stddev) stays an object.
 */
function convertInitializer(value: unknown): unknown {
  const object = asKerasObject(value);
  if (!object) return value;
  const plain = plainObject(object);
  const parsed = InitializerSchema.safeParse(plain);
  if (!parsed.success) return plain;
  const name = initializerName(plain.class_name);
  const named = InitializerSchema.safeParse(name);
  return named.success && isDeepStrictEqual(initializerIdentity(named.data), initializerIdentity(parsed.data))
    ? name
    : plain;
}

function sameInitializer(a: unknown, b: unknown): boolean {
  const left = InitializerSchema.safeParse(a);
  const right = InitializerSchema.safeParse(b);
  return left.success && right.success && isDeepStrictEqual(initializerIdentity(left.data), initializerIdentity(right.data));
}

/** Keras's int-or-tuple arguments: `2` and `[2, 2]` mean the same pool. */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && Array.isArray(b)) return b.length > 0 && b.every((item) => item === a);
  if (typeof b === 'number' && Array.isArray(a)) return sameValue(b, a);
  return isDeepStrictEqual(a, b);
}

/** The rank Keras built the layer for (batch included), when it wrote it down. */
function builtRank(layer: KerasLayer): number | undefined {
  const shape = (layer.build_config as { input_shape?: unknown } | undefined)?.input_shape;
  return Array.isArray(shape) && shape.every((d) => d === null || typeof d === 'number') ? shape.length : undefined;
}

/**
 * Keras 2 writes a normalization axis as the list it resolved on build
 * (`[3]` for an image's channels); Keras 3 keeps what was given (`-1`).
 * One axis is written as Keras 3 would, counted from the end.
 */
function convertAxis(value: unknown, rank: number | undefined): unknown {
  if (!Array.isArray(value) || value.length !== 1) return value;
  const [axis] = value as unknown[];
  if (typeof axis !== 'number') return value;
  return rank !== undefined && axis >= 0 ? axis - rank : axis;
}

function convertValue(key: string, value: unknown, layer: KerasLayer): unknown {
  if (key.endsWith('_initializer')) return convertInitializer(value);
  if (key === 'axis') return convertAxis(value, builtRank(layer));
  const object = asKerasObject(value);
  return object ? plainObject(object) : value;
}

/** The value a catalogue schema fills in when an argument is left out, if it has one. */
function defaultOf(field: z.ZodType): { value: unknown } | undefined {
  const parsed = field.safeParse(undefined);
  return parsed.success && parsed.data !== undefined ? { value: parsed.data } : undefined;
}

function isDefault(key: string, value: unknown, field: z.ZodType, config: Record<string, unknown>): boolean {
  // A pooling's strides default to its pool_size, and Keras writes them out.
  if (key === 'strides' && 'pool_size' in config && (value === null || sameValue(value, config.pool_size))) return true;
  const fallback = defaultOf(field);
  if (!fallback) return value === null;
  if (key.endsWith('_initializer')) return sameInitializer(value, fallback.value);
  return sameValue(value, fallback.value);
}

/** `Keras layer Dense 'dense'`, for messages. */
export function describeLayer(layer: KerasLayer): string {
  const name = typeof layer.config.name === 'string' ? layer.config.name : layer.name;
  return `Keras layer ${layer.class_name}${name === undefined ? '' : ` '${name}'`}`;
}

/** A class registered by user code (`package>Name`) or living outside Keras is not Keras's own layer. */
function isCustom(layer: KerasLayer): boolean {
  const foreignModule = typeof layer.module === 'string' && !/^(keras|tf_keras|tensorflow)(\.|$)/.test(layer.module);
  return foreignModule || (typeof layer.registered_name === 'string' && layer.registered_name.includes('>'));
}

/** Each detail names the Keras layer, as a path into the Keras JSON is hard to read. */
function withLayer(details: ErrorDetail[], layer: string): ValidationError {
  const named = details.map((detail) => ({ ...detail, message: `${detail.message} (${layer})` }));
  const [first] = named;
  const head = first ? `${first.path}: ${first.message}` : layer;
  return new ValidationError(named.length > 1 ? `${head} (and ${named.length - 1} more)` : head, named);
}

function unsupportedClass(layer: KerasLayer, path: string): ValidationError {
  const registered =
    typeof layer.registered_name === 'string' && layer.registered_name !== layer.class_name
      ? ` (registered as '${layer.registered_name}')`
      : '';
  return ValidationError.at(path, `Keras layer class '${layer.class_name}'${registered} is not supported`);
}

/**
 * One Keras layer (not an InputLayer) as a layer definition: its class name,
 * its name, and the arguments that differ from the catalogue's defaults, which
 * are Keras's. Arguments the catalogue cannot honour fail here, at their path
 * in the Keras JSON (`path` is the layer's).
 */
export function convertLayer(layer: KerasLayer, path: string): LayerDefinition {
  const entry = CATALOGUE.get(layer.class_name);
  if (!entry || entry.type === 'InputLayer' || isCustom(layer)) throw unsupportedClass(layer, path);

  const fields = entry.schema.shape as Record<string, z.ZodType>;
  const configPath = joinPath(path, 'config');
  const definition: LayerDefinition = { type: layer.class_name };
  const name = layer.config.name ?? layer.name;
  if (name !== undefined) definition.name = name as string;

  for (const [key, raw] of Object.entries(layer.config)) {
    if (key === 'name' || INERT[key]?.(raw)) continue;
    const field = fields[key];
    if (!field) {
      if (raw === null) continue;
      throw ValidationError.at(
        joinPath(configPath, key),
        `argument '${key}' of ${describeLayer(layer)} is not supported (${JSON.stringify(raw)})`,
      );
    }
    const value = convertValue(key, raw, layer);
    if (!isDefault(key, value, field, layer.config)) definition[key] = value;
  }

  const checked = entry.schema.safeParse(definition);
  if (!checked.success) {
    const { details } = fromZodError(checked.error, configPath);
    throw withLayer(details, describeLayer(layer));
  }
  return definition;
}
