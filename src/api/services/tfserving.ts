import type { FastifyInstance } from 'fastify';
import { instancesToArray } from '../../datasets/inline.js';
import { AppError, NotFoundError, ValidationError } from '../../errors.js';
import type { ModelRecord, VersionRecord } from '../../registry/records.js';
import type { Tenant } from '../../registry/tenants.js';
import { predictionsJson } from '../../serving/predictions.js';
import type { LoadedVersion } from '../model-cache.js';
import type { TfsModelMetadata, TfsModelStatus, TfsPredictRequest, TfsTensorInfo } from '../schemas/tfserving.js';

type Deps = Pick<FastifyInstance, 'models' | 'modelCache' | 'metrics'>;

/** The one signature every version has, and its one input and one output, as a Keras model exported to TF Serving has them. */
export const TFS_SIGNATURE = 'serving_default';
export const TFS_INPUT = 'input';
export const TFS_OUTPUT = 'output';

/** TensorFlow Serving's status for a request it cannot parse: the method and path it was given. */
export function malformed(method: string, url: string): AppError {
  return new AppError(400, 'bad_request', `Malformed request: ${method} ${url.split('?')[0]}`);
}

/** A path's version as TF Serving reads it, digits only; anything else does not name a version. */
export function parseVersion(version: string, method: string, url: string): number {
  if (!/^\d{1,15}$/.test(version)) throw malformed(method, url);
  return Number(version);
}

/** TF Serving's not-found message, which names the servable as its request asked for it. */
function servableNotFound(name: string, version: number | undefined): NotFoundError {
  return new NotFoundError(`Servable not found for request: ${version === undefined ? `Latest(${name})` : `Specific(${name}, ${version})`}`);
}

/** The tenant's model, or `onMissing`'s error where the catalog knows no such model for the tenant. */
async function resolveModel(deps: Pick<Deps, 'modelCache'>, tenant: Tenant, name: string, onMissing: () => Error): Promise<{ model: ModelRecord; latest: VersionRecord | null }> {
  try {
    return await deps.modelCache.catalog.resolve(name, tenant);
  } catch (error) {
    throw error instanceof NotFoundError ? onMissing() : error;
  }
}

/** The asked-for version, or the latest, loaded: a model with no such trained version is no servable at all. */
async function servable(deps: Pick<Deps, 'modelCache'>, tenant: Tenant, name: string, version: number | undefined): Promise<{ model: ModelRecord; loaded: LoadedVersion }> {
  const { model } = await resolveModel(deps, tenant, name, () => servableNotFound(name, version));
  const wanted = version ?? model.latest_version;
  if (wanted < 1 || wanted > model.latest_version) throw servableNotFound(name, version);
  try {
    return { model, loaded: await deps.modelCache.get(model.id, wanted) };
  } catch (error) {
    throw error instanceof NotFoundError ? servableNotFound(name, version) : error;
  }
}

/** Every trained version, newest first as TF Serving lists them, or the one asked for; each can be loaded, so each is AVAILABLE. */
export async function tfsModelStatus(deps: Pick<Deps, 'modelCache' | 'models'>, tenant: Tenant, name: string, version?: number): Promise<TfsModelStatus> {
  const { model } = await resolveModel(deps, tenant, name, () => new NotFoundError(`Could not find any versions of model ${name}`));
  const available = (v: number): TfsModelStatus['model_version_status'][number] => ({
    version: String(v),
    state: 'AVAILABLE',
    status: { error_code: 'OK', error_message: '' },
  });
  if (version !== undefined) {
    if (version < 1 || version > model.latest_version) throw new NotFoundError(`Could not find version ${version} of model ${name}`);
    return { model_version_status: [available(version)] };
  }
  const versions = (await deps.models.listVersions(model.id)).map((record) => record.version).sort((a, b) => b - a);
  if (versions.length === 0) throw new NotFoundError(`Could not find any versions of model ${name}`);
  return { model_version_status: versions.map(available) };
}

function tensorInfo(name: string, shape: readonly (number | null)[]): TfsTensorInfo {
  return {
    dtype: 'DT_FLOAT',
    tensor_shape: { dim: [-1, ...shape.map((d) => d ?? -1)].map((size) => ({ size: String(size), name: '' })), unknown_rank: false },
    name: `${name}:0`,
  };
}

/** The version's `serving_default` signature: float inputs and outputs with the batch axis first (-1). */
export async function tfsModelMetadata(deps: Pick<Deps, 'modelCache' | 'models'>, tenant: Tenant, name: string, version?: number): Promise<TfsModelMetadata> {
  const { model, latest } = await resolveModel(deps, tenant, name, () => servableNotFound(name, version));
  const wanted = version ?? model.latest_version;
  if (wanted < 1 || wanted > model.latest_version) throw servableNotFound(name, version);
  const record = latest?.version === wanted ? latest : await deps.models.getVersion(model.id, wanted);
  return {
    model_spec: { name: model.name, signature_name: '', version: String(record.version) },
    metadata: {
      signature_def: {
        signature_def: {
          [TFS_SIGNATURE]: {
            inputs: { [TFS_INPUT]: tensorInfo(TFS_INPUT, record.input_shape) },
            outputs: { [TFS_OUTPUT]: tensorInfo(TFS_OUTPUT, record.output_shape) },
            method_name: 'tensorflow/serving/predict',
            defaults: {},
          },
        },
      },
    },
  };
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A named tensor's value: the model's one input, under its name. */
function namedInput(value: Record<string, unknown>, path: string): unknown {
  const names = Object.keys(value);
  const other = names.find((key) => key !== TFS_INPUT);
  if (other !== undefined || names.length === 0) {
    throw ValidationError.at(path, `${other === undefined ? 'no input given' : `no input '${other}'`}; the signature ${TFS_SIGNATURE} has one input, '${TFS_INPUT}'`);
  }
  return value[TFS_INPUT];
}

/** The batch either format carries: a list of instances (each bare or as `{"input": ...}`), or the `inputs` tensor (bare or in a map by name). */
function batchOf(body: TfsPredictRequest): { rows: unknown; path: string; columnar: boolean } {
  const hasInstances = body.instances !== undefined;
  const hasInputs = body.inputs !== undefined;
  if (hasInstances && hasInputs) throw ValidationError.at('', "Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist");
  if (!hasInstances && !hasInputs) throw ValidationError.at('', "Missing 'inputs' or 'instances' key");
  if (hasInputs) return { rows: isPlainObject(body.inputs) ? namedInput(body.inputs, 'inputs') : body.inputs, path: 'inputs', columnar: true };
  const { instances } = body;
  const rows = Array.isArray(instances) ? instances.map((row, i) => (isPlainObject(row) ? namedInput(row, `instances[${i}]`) : row)) : instances;
  return { rows, path: 'instances', columnar: false };
}

/**
 * A predict response's JSON, written from the model's output array: `predictions`
 * for the row format, `outputs` for the columnar one, both the one output's rows
 * as TF Serving answers for a single-output signature.
 */
export async function tfsPredictJson(deps: Pick<Deps, 'modelCache' | 'metrics'>, tenant: Tenant, name: string, body: TfsPredictRequest, version?: number): Promise<string> {
  const timer = deps.metrics.predictDuration.startTimer();
  if (body.signature_name !== undefined && body.signature_name !== '' && body.signature_name !== TFS_SIGNATURE) {
    throw ValidationError.at('signature_name', `Serving signature name: "${body.signature_name}" not found in signature def`);
  }
  const { model, loaded } = await servable(deps, tenant, name, version);
  const { rows, path, columnar } = batchOf(body);
  const x = loaded.preprocess(instancesToArray(rows, loaded.sampleShape, path), path);
  const predictions = await loaded.batcher.predict(x);
  timer({ model: model.name });
  return `{"${columnar ? 'outputs' : 'predictions'}":${predictionsJson(predictions.data, predictions.shape)}}`;
}
