import type { FastifyInstance } from 'fastify';
import type * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../registry/dataset-loader.js';
import { instancesToArray, datasetFromInline } from '../../datasets/inline.js';
import { transformX, transformY, type PreprocessingState } from '../../datasets/preprocessing.js';
import type { DatasetRef } from '../../datasets/ref.js';
import { AppError } from '../../errors.js';
import { describeLayers, evaluate, inspect, type LayerInfo, type LayerOutput } from '../../models/inference.js';
import { toKerasLogs, type ModelDefinition } from '../../models/index.js';
import type { ModelRecord } from '../../registry/records.js';
import { argmaxRows, predictionsJson } from '../../serving/predictions.js';
import type { LoadedVersion } from '../model-cache.js';

type Deps = Pick<FastifyInstance, 'datasets' | 'artifacts' | 'modelCache' | 'metrics'>;

interface Served {
  model: ModelRecord;
  loaded: LoadedVersion;
}

/** The model and the asked-for version, or its latest, loaded: from memory once both are known. */
async function serve(deps: Pick<Deps, 'modelCache'>, idOrName: string, version?: number): Promise<Served> {
  const { model } = await deps.modelCache.catalog.resolve(idOrName);
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
export async function predictJson(deps: Pick<Deps, 'modelCache' | 'metrics'>, idOrName: string, instances: unknown[], version?: number): Promise<string> {
  const timer = deps.metrics.predictDuration.startTimer();
  const { model, loaded } = await serve(deps, idOrName, version);
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
  idOrName: string,
  instances: unknown[],
  version?: number,
): Promise<{ model: string; version: number; layers: LayerOutput[] }> {
  const { model, loaded } = await serve(deps, idOrName, version);
  const x = loaded.preprocess(instancesToArray(instances, loaded.sampleShape), 'x');
  return { model: model.name, version: loaded.record.version, layers: inspect(loaded.model, x) };
}

export async function evaluateWith(
  deps: Deps,
  idOrName: string,
  body: { x?: unknown[] | undefined; y?: unknown[] | undefined; dataset?: DatasetRef | undefined; version?: number | undefined; batch_size: number },
): Promise<{ model: string; version: number; samples: number; metrics: Record<string, number> }> {
  const { model, loaded } = await serve(deps, idOrName, body.version);
  const data = body.dataset ? await loadDataset(deps, body.dataset) : datasetFromInline(body.x, body.y, '');
  const state = preprocessingOf(loaded);
  const { compile } = model.definition;
  const raw = evaluate(loaded.model, transformX(state, data.x), transformY(state, data.y), body.batch_size);
  return { model: model.name, version: loaded.record.version, samples: data.x.shape[0] ?? 0, metrics: toKerasLogs(raw, compile) };
}

export async function layersOf(
  deps: Deps,
  idOrName: string,
  withWeights: boolean,
  version?: number,
): Promise<{ model: string; version: number; layers: LayerInfo[] }> {
  const { model, loaded } = await serve(deps, idOrName, version);
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

