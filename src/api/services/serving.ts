import type { FastifyInstance } from 'fastify';
import type * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../registry/dataset-loader.js';
import { instancesToArray, datasetFromInline } from '../../datasets/inline.js';
import { transformX, transformY, type PreprocessingState } from '../../datasets/preprocessing.js';
import type { DatasetRef } from '../../datasets/ref.js';
import { AppError, NotFoundError, ValidationError } from '../../errors.js';
import { describeLayers, evaluate, inspect, type LayerInfo, type LayerOutput } from '../../models/inference.js';
import { toKerasLogs, type ModelDefinition } from '../../models/index.js';
import type { ModelRecord, VersionRecord } from '../../registry/records.js';
import type { Tenant } from '../../registry/tenants.js';
import { argmaxRows, predictionsJson } from '../../serving/predictions.js';
import { v2InputToArray } from '../../serving/v2-tensors.js';
import type { V2InferRequest } from '../schemas/v2.js';
import type { LoadedVersion } from '../model-cache.js';
import { ownDataset } from './owned.js';

type Deps = Pick<FastifyInstance, 'models' | 'datasets' | 'artifacts' | 'modelCache' | 'metrics'>;

interface Served {
  model: ModelRecord;
  loaded: LoadedVersion;
}

/** The tenant's model and the asked-for version, or its latest, loaded: from memory once both are known. */
async function serve(deps: Pick<Deps, 'modelCache'>, tenant: Tenant, idOrName: string, version?: number): Promise<Served> {
  const { model } = await deps.modelCache.catalog.resolve(idOrName, tenant);
  const wanted = version ?? model.latest_version;
  if (wanted === 0) throw new AppError(409, 'not_trained', `model '${model.name}' has no trained version yet; train it with POST /v1/jobs`);
  return { model, loaded: await deps.modelCache.get(model.id, wanted) };
}

function preprocessingOf(loaded: LoadedVersion): PreprocessingState {
  return loaded.record.preprocessing ?? {};
}

/**
 * The prediction response's JSON, written here rather than by the route's serializer: the
 * predictions go from the model's output array to text without becoming nested JS arrays.
 */
export async function predictJson(deps: Pick<Deps, 'modelCache' | 'metrics'>, tenant: Tenant, idOrName: string, instances: unknown[], version?: number): Promise<string> {
  const timer = deps.metrics.predictDuration.startTimer();
  const { model, loaded } = await serve(deps, tenant, idOrName, version);
  const x = loaded.preprocess(instancesToArray(instances, loaded.sampleShape), 'x');
  const predictions = await loaded.batcher.predict(x);
  const classNames = loaded.record.class_names;
  const classes = classNames ? argmaxRows(predictions.data, predictions.shape[0] ?? 0).map((i) => classNames[i] ?? String(i)) : undefined;
  timer({ model: model.name });
  const head = `{"model":${JSON.stringify(model.name)},"version":${loaded.record.version},"predictions":${predictionsJson(predictions.data, predictions.shape)}`;
  return classes ? `${head},"classes":${JSON.stringify(classes)}}` : `${head}}`;
}

export async function inspectWith(
  deps: Deps,
  tenant: Tenant,
  idOrName: string,
  instances: unknown[],
  version?: number,
): Promise<{ model: string; version: number; layers: LayerOutput[] }> {
  const { model, loaded } = await serve(deps, tenant, idOrName, version);
  const x = loaded.preprocess(instancesToArray(instances, loaded.sampleShape), 'x');
  return { model: model.name, version: loaded.record.version, layers: inspect(loaded.model, x) };
}

export async function evaluateWith(
  deps: Deps,
  tenant: Tenant,
  idOrName: string,
  body: { x?: unknown[] | undefined; y?: unknown[] | undefined; dataset?: DatasetRef | undefined; version?: number | undefined; batch_size: number },
): Promise<{ model: string; version: number; samples: number; metrics: Record<string, number> }> {
  const { model, loaded } = await serve(deps, tenant, idOrName, body.version);
  // A stored dataset must be the tenant's too.
  const sources = { datasets: { get: (id: string) => ownDataset(deps, tenant, id) }, artifacts: deps.artifacts };
  const data = body.dataset ? await loadDataset(sources, body.dataset) : datasetFromInline(body.x, body.y, '');
  const state = preprocessingOf(loaded);
  const { compile } = model.definition;
  const raw = evaluate(loaded.model, transformX(state, data.x), transformY(state, data.y), body.batch_size);
  return { model: model.name, version: loaded.record.version, samples: data.x.shape[0] ?? 0, metrics: toKerasLogs(raw, compile) };
}

export async function layersOf(
  deps: Deps,
  tenant: Tenant,
  idOrName: string,
  withWeights: boolean,
  version?: number,
): Promise<{ model: string; version: number; layers: LayerInfo[] }> {
  const { model, loaded } = await serve(deps, tenant, idOrName, version);
  const configs = kerasConfigs(model.definition, loaded.model);
  return { model: model.name, version: loaded.record.version, layers: describeLayers(loaded.model, withWeights, configs) };
}

/**
 * Each layer's arguments as the definition gives them (Keras's names and
 * defaults), by the built layer's name: sequential layers in order, functional ones by name.
 */
function kerasConfigs(definition: ModelDefinition, model: tf.LayersModel): Map<string, Record<string, unknown>> {
  const configs = new Map<string, Record<string, unknown>>();
  const built = model.layers.filter((layer) => layer.getClassName() !== 'InputLayer');
  const specs = definition.architecture.layers.filter((spec) => spec.type !== 'InputLayer');
  specs.forEach((spec, i) => {
    const { type: _type, inputs: _inputs, ...args } = spec as Record<string, unknown>;
    const name = definition.architecture.type === 'functional' ? String(spec.name) : built[i]?.name;
    if (name) configs.set(name, { ...args, name });
  });
  return configs;
}

// ---------------------------------------------------------------- Open Inference Protocol (V2)

/** The one input and the outputs every version has under the protocol; `classes` only where the training data named its classes. */
const V2_INPUT = 'input';
const V2_OUTPUT = 'output';
const V2_CLASSES = 'classes';

/** A /v2 path's version: a trained version number, else a 404 as for any version the model lacks. */
function v2Version(modelName: string, version: string | undefined): number | undefined {
  if (version === undefined) return undefined;
  if (!/^[1-9]\d{0,8}$/.test(version)) throw new NotFoundError(`model '${modelName}' has no version '${version}'`);
  return Number(version);
}

/** The version's record: the latest from the catalog, another from the registry. */
async function versionRecord(deps: Pick<Deps, 'modelCache' | 'models'>, tenant: Tenant, idOrName: string, version?: string): Promise<{ model: ModelRecord; record: VersionRecord }> {
  const { model, latest } = await deps.modelCache.catalog.resolve(idOrName, tenant);
  const wanted = v2Version(model.name, version) ?? model.latest_version;
  if (wanted === 0) throw new AppError(409, 'not_trained', `model '${model.name}' has no trained version yet`);
  if (latest?.version === wanted) return { model, record: latest };
  return { model, record: await deps.models.getVersion(model.id, wanted) };
}

export async function v2ModelMetadata(
  deps: Pick<Deps, 'modelCache' | 'models'>,
  tenant: Tenant,
  idOrName: string,
  version?: string,
): Promise<{ name: string; versions: string[]; platform: string; inputs: V2TensorMetadata[]; outputs: V2TensorMetadata[] }> {
  const { model, record } = await versionRecord(deps, tenant, idOrName, version);
  const batched = (shape: (number | null)[]): number[] => [-1, ...shape.map((d) => d ?? -1)];
  return {
    name: model.name,
    versions: [String(record.version)],
    platform: 'tensorflowjs_layers',
    inputs: [{ name: V2_INPUT, datatype: 'FP32', shape: batched(record.input_shape) }],
    outputs: [
      { name: V2_OUTPUT, datatype: 'FP32', shape: batched(record.output_shape) },
      ...(record.class_names ? [{ name: V2_CLASSES, datatype: 'BYTES', shape: [-1] }] : []),
    ],
  };
}

interface V2TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

/** Ready: the version is loaded, so an inference request for it runs at once. */
export async function v2ModelReady(deps: Pick<Deps, 'modelCache'>, tenant: Tenant, idOrName: string, version?: string): Promise<{ name: string; version: string; ready: boolean }> {
  const { model } = await deps.modelCache.catalog.resolve(idOrName, tenant);
  const wanted = v2Version(model.name, version) ?? model.latest_version;
  // The protocol answers "not ready" with a 4xx; 409, as predicting on it does.
  if (wanted === 0) throw new AppError(409, 'not_trained', `model '${model.name}' is not ready: it has no trained version yet`);
  const loaded = await deps.modelCache.get(model.id, wanted);
  return { name: model.name, version: String(loaded.record.version), ready: true };
}

/** One output tensor of an inference: the model's output array as it came, or the class names of its rows. */
export type V2Output =
  | { name: typeof V2_OUTPUT; datatype: 'FP32'; shape: number[]; data: Float32Array }
  | { name: typeof V2_CLASSES; datatype: 'BYTES'; shape: number[]; data: string[] };

export interface V2Inference {
  model_name: string;
  model_version: string;
  id?: string;
  outputs: V2Output[];
}

/** An inference under the protocol, whatever carries it: the requested outputs, in the order asked. */
export async function v2Infer(deps: Pick<Deps, 'modelCache' | 'metrics'>, tenant: Tenant, idOrName: string, request: V2InferRequest, version?: string): Promise<V2Inference> {
  const timer = deps.metrics.predictDuration.startTimer();
  const { model, loaded } = await serve(deps, tenant, idOrName, v2Version(idOrName, version));
  const classNames = loaded.record.class_names;
  const available = classNames ? [V2_OUTPUT, V2_CLASSES] : [V2_OUTPUT];
  const requested = request.outputs?.map((output) => output.name) ?? available;
  requested.forEach((name, i) => {
    if (!available.includes(name)) throw ValidationError.at(`outputs[${i}].name`, `no output '${name}'; this model has ${available.join(', ')}`);
  });
  const [input, ...more] = request.inputs;
  if (!input || more.length > 0) throw ValidationError.at('inputs', `expected one input, '${V2_INPUT}', found ${request.inputs.length}`);
  if (input.name !== V2_INPUT) throw ValidationError.at('inputs[0].name', `no input '${input.name}'; this model has '${V2_INPUT}'`);

  const x = loaded.preprocess(v2InputToArray(input, loaded.sampleShape, 'inputs[0]'), 'inputs[0]');
  const predictions = await loaded.batcher.predict(x);
  const rows = predictions.shape[0] ?? 0;
  const outputs = requested.map((name): V2Output => {
    if (name === V2_CLASSES && classNames) {
      return { name: V2_CLASSES, datatype: 'BYTES', shape: [rows], data: argmaxRows(predictions.data, rows).map((i) => classNames[i] ?? String(i)) };
    }
    return { name: V2_OUTPUT, datatype: 'FP32', shape: [...predictions.shape], data: predictions.data };
  });
  timer({ model: model.name });
  return { model_name: model.name, model_version: String(loaded.record.version), ...(request.id === undefined ? {} : { id: request.id }), outputs };
}

/** An inference response's JSON, written from the model's output array as /v1 predict's is. */
export async function v2InferJson(deps: Pick<Deps, 'modelCache' | 'metrics'>, tenant: Tenant, idOrName: string, request: V2InferRequest, version?: string): Promise<string> {
  const inference = await v2Infer(deps, tenant, idOrName, request, version);
  const outputs = inference.outputs.map((output) => {
    const head = `{"name":"${output.name}","datatype":"${output.datatype}","shape":${JSON.stringify(output.shape)},"data":`;
    return output.datatype === 'BYTES' ? `${head}${JSON.stringify(output.data)}}` : `${head}${predictionsJson(output.data, [output.data.length])}}`;
  });
  const id = inference.id === undefined ? '' : `,"id":${JSON.stringify(inference.id)}`;
  return `{"model_name":${JSON.stringify(inference.model_name)},"model_version":"${inference.model_version}"${id},"outputs":[${outputs.join(',')}]}`;
}
