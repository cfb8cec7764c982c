import { enc, get, post } from '../api.js';
import { errorBox, facts, fmt, h, replace, shape, when } from '../dom.js';
import { drawGraph, layerGraph } from '../graph.js';
import { jobRows } from './jobs.js';

export async function modelsView(view) {
  const { models } = await get('/v1/models');
  replace(
    view,
    h('h1', {}, 'Models'),
    h('p', {}, h('a', { href: '#/define' }, 'Define a new model')),
    h(
      'div',
      { class: 'panel table-wrap' },
      models.length
        ? h(
            'table',
            {},
            h('thead', {}, h('tr', {}, h('th', {}, 'name'), h('th', {}, 'architecture'), h('th', { class: 'num' }, 'parameters'), h('th', { class: 'num' }, 'latest version'), h('th', { class: 'hide-narrow' }, 'updated'))),
            h(
              'tbody',
              {},
              models.map((model) =>
                h(
                  'tr',
                  {},
                  h('td', {}, h('a', { href: `#/models/${enc(model.name)}` }, model.name)),
                  h('td', {}, model.definition.architecture?.type ?? ''),
                  h('td', { class: 'num' }, model.summary ? fmt(model.summary.total_params) : '—'),
                  h('td', { class: 'num' }, model.latest_version || '—'),
                  h('td', { class: 'hide-narrow' }, when(model.updated_at)),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'No models yet.'),
    ),
  );
}

/** Keras's `model.summary()` as a table: layer (type), output shape, parameters, and the totals. */
export function summaryTable(summary) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'summary' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Layer (type)'), h('th', {}, 'Output Shape'), h('th', { class: 'num' }, 'Param #'))),
      h('tbody', {}, summary.layers.map((layer) => h('tr', {}, h('td', {}, `${layer.name} (${layer.type})`), h('td', {}, h('code', {}, shape(layer.output_shape))), h('td', { class: 'num' }, fmt(layer.params))))),
      h(
        'tfoot',
        {},
        h('tr', {}, h('td', { colspan: 2 }, 'Total params'), h('td', { class: 'num' }, fmt(summary.total_params))),
        h('tr', {}, h('td', { colspan: 2 }, 'Trainable params'), h('td', { class: 'num' }, fmt(summary.trainable_params))),
        h('tr', {}, h('td', { colspan: 2 }, 'Non-trainable params'), h('td', { class: 'num' }, fmt(summary.non_trainable_params))),
      ),
    ),
  );
}

function versionsTable(versions) {
  if (!versions.length) return h('p', { class: 'muted' }, 'Not trained yet: train it below.');
  const keys = [...new Set(versions.flatMap((version) => Object.keys(version.metrics)))];
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { id: 'versions' },
      h('thead', {}, h('tr', {}, h('th', {}, 'version'), keys.map((key) => h('th', { class: 'num' }, key)), h('th', {}, 'job'), h('th', { class: 'hide-narrow' }, 'backend'), h('th', { class: 'hide-narrow' }, 'created'))),
      h(
        'tbody',
        {},
        [...versions].reverse().map((version) =>
          h(
            'tr',
            {},
            h('td', {}, String(version.version)),
            keys.map((key) => h('td', { class: 'num' }, key in version.metrics ? fmt(version.metrics[key]) : '')),
            h('td', {}, h('a', { href: `#/jobs/${enc(version.job_id)}` }, version.job_id)),
            h('td', { class: 'hide-narrow' }, version.backend.name),
            h('td', { class: 'hide-narrow' }, when(version.created_at)),
          ),
        ),
      ),
    ),
  );
}

function numberField(id, label, value, attrs = {}) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, name: id, type: 'number', value, ...attrs }));
}

/** "Train again": Keras's fit arguments, a dataset and preprocessing, posted as a job. */
async function trainForm(model) {
  const { builtin, datasets } = await get('/v1/datasets');
  const options = [
    ...builtin.flatMap((info) => info.splits.map((split) => h('option', { value: JSON.stringify({ builtin: info.name, ...(info.splits.length > 1 ? { split: split.name } : {}) }) }, `${info.name}${info.splits.length > 1 ? ` (${split.name}, ${split.rows.toLocaleString('en')} rows)` : ` (${split.rows} rows)`}`))),
    ...datasets.map((dataset) => h('option', { value: JSON.stringify({ id: dataset.id }) }, `${dataset.name} (${dataset.rows.toLocaleString('en')} rows)`)),
  ];
  const isImage = (model.input_shape ?? []).length >= 2;
  const dataset = h('select', { id: 'fit-dataset' }, options);
  dataset.value = options.find((option) => option.value.includes(isImage ? 'mnist' : 'iris'))?.value ?? options[0]?.value;
  const standardize = h('input', { id: 'fit-standardize', type: 'checkbox' });
  const shuffle = h('input', { id: 'fit-shuffle', type: 'checkbox', checked: true });
  const message = h('div', { role: 'status' });
  const form = h(
    'form',
    { id: 'train-form', onsubmit: async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const limit = Number(data.get('fit-limit'));
      const ref = JSON.parse(dataset.value);
      const body = {
        model: model.id,
        dataset: ref.builtin && limit > 0 ? { ...ref, limit } : ref,
        fit: { epochs: Number(data.get('fit-epochs')), batch_size: Number(data.get('fit-batch_size')), validation_split: Number(data.get('fit-validation_split')), shuffle: shuffle.checked },
        ...(standardize.checked ? { preprocessing: { standardize: true } } : {}),
      };
      try {
        const job = await post('/v1/jobs', body);
        location.hash = `#/jobs/${enc(job.id)}`;
      } catch (error) {
        replace(message, error.details?.length ? h('ul', { class: 'errors', role: 'alert' }, error.details.map((d) => h('li', {}, `${d.path}: ${d.message}`))) : errorBox(error));
      }
    } },
    h(
      'div',
      { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: 'fit-dataset' }, 'dataset'), dataset),
      numberField('fit-limit', 'first N rows (built-ins)', '', { min: 1, placeholder: 'all' }),
      numberField('fit-epochs', 'epochs', isImage ? 2 : 100, { min: 1, required: true }),
      numberField('fit-batch_size', 'batch_size', 32, { min: 1, required: true }),
      numberField('fit-validation_split', 'validation_split', 0.1, { min: 0, max: 0.99, step: 0.01, required: true }),
      h('div', { class: 'field' }, h('label', { for: 'fit-shuffle' }, 'shuffle'), shuffle),
      h('div', { class: 'field' }, h('label', { for: 'fit-standardize' }, 'standardize'), standardize),
    ),
    h('p', {}, h('button', { class: 'primary', type: 'submit' }, model.latest_version ? 'Train again' : 'Train')),
    message,
  );
  return form;
}

export async function modelView(view, { params: [name] }) {
  const model = await get(`/v1/models/${enc(name)}`);
  const [{ versions }, { jobs }] = await Promise.all([get(`/v1/models/${enc(model.id)}/versions`), get(`/v1/jobs?model=${enc(model.id)}`)]);
  const summary = versions.at(-1)?.summary ?? model.summary;
  const trained = versions.length > 0;
  replace(
    view,
    h('h1', {}, model.name),
    h(
      'div',
      { class: 'row' },
      trained ? h('a', { class: 'button', href: `#/models/${enc(model.name)}/try` }, 'Try it') : null,
      trained ? h('a', { class: 'button', href: `#/models/${enc(model.name)}/inspect` }, 'Inside the network') : null,
      h('a', { href: `/v1/models/${enc(model.id)}` }, 'definition (JSON)'),
    ),
    h(
      'div',
      { class: 'grid2' },
      h('section', { class: 'panel' }, h('h2', {}, 'Summary'), summary ? summaryTable(summary) : h('p', { class: 'muted' }, 'The input shape comes from the data at the first fit, as in Keras; the summary follows it.'), facts([['compile', JSON.stringify(model.definition.compile ?? {})], ['created', when(model.created_at)]])),
      h('section', { class: 'panel' }, h('h2', {}, 'Layer graph'), drawGraph(layerGraph(model.definition, summary))),
    ),
    h('section', { class: 'panel' }, h('h2', {}, 'Versions'), versionsTable(versions)),
    h('section', { class: 'panel' }, h('h2', {}, trained ? 'Train again' : 'Train'), await trainForm(model)),
    h('section', { class: 'panel' }, h('h2', {}, 'Jobs'), jobs.length ? jobRows(jobs) : h('p', { class: 'muted' }, 'None yet.')),
  );
}
