import { enc, get } from '../api.js';
import { builtinOf } from './jobs.js';

/**
 * The model, its latest trained version and, when it was trained on a
 * built-in, that dataset's feature names: what the try and inspect views build their input form from.
 */
export async function trainedModel(name) {
  const model = await get(`/v1/models/${enc(name)}`);
  if (!model.latest_version) throw new Error(`${model.name} has no trained version yet: train it from its page first.`);
  const version = await get(`/v1/models/${enc(model.id)}/versions/${model.latest_version}`);
  const job = await get(`/v1/jobs/${enc(version.job_id)}`).catch(() => null);
  let featureNames;
  const used = job && builtinOf(job.dataset);
  if (used) {
    const { builtin } = await get('/v1/datasets');
    featureNames = builtin.find((info) => info.name === used.name)?.feature_names;
  }
  return { model, version, featureNames };
}
