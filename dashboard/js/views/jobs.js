import { ApiError, enc, follow, get, post } from '../api.js';
import { HistoryCharts } from '../charts.js';
import { badge, errorBox, facts, fmt, h, replace, when } from '../dom.js';

const ACTIVE = ['queued', 'running'];
const POLL_MS = 2000;

function progress(job) {
  const { epoch, epochs } = job.progress;
  return h('span', { class: 'row' }, h('progress', { max: epochs || 1, value: epoch, 'aria-label': `epoch ${epoch} of ${epochs}` }), `${epoch} / ${epochs}`);
}

/** The job record keeps the reference in its stored form (`kind`); a client's form is read too. */
export function builtinOf(dataset) {
  if (dataset.kind === 'builtin') return { name: dataset.name, split: dataset.split, limit: dataset.limit };
  return dataset.builtin ? { name: dataset.builtin, split: dataset.split, limit: dataset.limit } : null;
}

function datasetLabel(dataset) {
  const builtin = builtinOf(dataset);
  if (builtin) return `${builtin.name}${builtin.split ? ` (${builtin.split})` : ''}${builtin.limit ? `, first ${builtin.limit} rows` : ''}`;
  if (dataset.kind === 'stored' || dataset.id) return h('a', { href: '#/datasets' }, dataset.id);
  return 'inline data';
}

export function jobRows(jobs) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, h('th', {}, 'job'), h('th', {}, 'model'), h('th', {}, 'status'), h('th', {}, 'progress'), h('th', { class: 'hide-narrow' }, 'dataset'), h('th', { class: 'hide-narrow' }, 'created'))),
      h(
        'tbody',
        {},
        jobs.map((job) =>
          h(
            'tr',
            { 'data-job': job.id },
            h('td', {}, h('a', { href: `#/jobs/${enc(job.id)}` }, job.id)),
            h('td', {}, h('a', { href: `#/models/${enc(job.model_name)}` }, job.model_name)),
            h('td', {}, badge(job.status)),
            h('td', {}, progress(job)),
            h('td', { class: 'hide-narrow' }, datasetLabel(job.dataset)),
            h('td', { class: 'hide-narrow' }, when(job.created_at)),
          ),
        ),
      ),
    ),
  );
}

/** Polls the list while it is open: status and progress of every job stay current. */
export async function jobsView(view, { signal }) {
  const filter = h('select', { id: 'job-filter', onchange: () => void refresh() }, ['', 'queued', 'running', 'completed', 'failed', 'cancelled'].map((s) => h('option', { value: s }, s || 'any status')));
  const list = h('div', { 'aria-live': 'polite' });
  replace(view, h('h1', {}, 'Training jobs'), h('div', { class: 'row' }, h('label', { for: 'job-filter' }, 'Show'), filter, h('a', { href: '#/define' }, 'Define a model'), h('a', { href: '#/models' }, 'Train a model')), h('div', { class: 'panel' }, list));
  async function refresh() {
    const { jobs } = await get(`/v1/jobs${filter.value ? `?status=${filter.value}` : ''}`);
    replace(list, jobs.length ? jobRows(jobs) : h('p', { class: 'muted' }, 'No jobs yet. Define a model, then train it from its page.'));
  }
  await refresh();
  const timer = setInterval(() => void refresh().catch(() => undefined), POLL_MS);
  signal.addEventListener('abort', () => clearInterval(timer));
}

function finalMetrics(history) {
  const keys = Object.keys(history);
  if (!keys.length) return null;
  return h('div', { class: 'table-wrap' }, h('table', {}, h('tbody', {}, keys.map((key) => h('tr', {}, h('th', {}, key), h('td', { class: 'num' }, fmt(history[key].at(-1))))))));
}

/** The job page: facts, cancel, and the curves, fed epoch by epoch from the job's event stream. */
export async function jobView(view, { params: [id], signal }) {
  let job = await get(`/v1/jobs/${enc(id)}`);
  const history = structuredClone(job.history);
  const head = h('div');
  const details = h('div', { class: 'grid2' });
  const chartsBox = h('div', { class: 'charts', id: 'charts' });
  const charts = new HistoryCharts(chartsBox);
  signal.addEventListener('abort', () => charts.destroy());
  replace(view, head, h('h2', {}, 'Curves'), chartsBox, details);

  // The row is built once and updated in place: a Cancel button re-created on every epoch
  // would slip away from a pointer or from the keyboard focus while the job trains.
  const statusBox = h('span', { id: 'job-status' });
  const bar = h('progress', {});
  const count = h('span');
  const cancel = h('button', { class: 'danger', id: 'cancel-job', onclick: async () => {
    cancel.disabled = true;
    try {
      job = await post(`/v1/jobs/${enc(id)}/cancel`);
      render();
    } catch (error) {
      head.append(errorBox(error));
    }
  } }, 'Cancel');
  const versionBox = h('span');
  const errorLine = h('div');
  replace(head, h('h1', {}, 'Job ', h('code', {}, job.id)), h('div', { class: 'row' }, statusBox, h('span', { class: 'row' }, bar, count), cancel, versionBox), errorLine);

  function render() {
    const { epoch, epochs } = job.progress;
    replace(statusBox, badge(job.status));
    bar.max = epochs || 1;
    bar.value = epoch;
    bar.setAttribute('aria-label', `epoch ${epoch} of ${epochs}`);
    count.textContent = `${epoch} / ${epochs}`;
    if (ACTIVE.includes(job.status)) {
      cancel.textContent = job.cancel_requested ? 'Cancelling…' : 'Cancel';
      if (job.cancel_requested) cancel.disabled = true;
    } else cancel.remove();
    replace(versionBox, job.version ? h('a', { href: `#/models/${enc(job.model_name)}` }, `version ${job.version} of ${job.model_name}`) : null);
    replace(errorLine, job.error ? h('p', { class: 'error', role: 'alert' }, `${job.error.code}: ${job.error.message}`) : null);
    replace(
      details,
      h(
        'section',
        { class: 'panel' },
        h('h2', {}, 'Settings'),
        facts([
          ['model', h('a', { href: `#/models/${enc(job.model_name)}` }, job.model_name)],
          ['dataset', datasetLabel(job.dataset)],
          ...Object.entries(job.fit).map(([key, value]) => [key, typeof value === 'object' ? JSON.stringify(value) : String(value)]),
          ['preprocessing', job.preprocessing && JSON.stringify(job.preprocessing)],
          ['early stopping', job.early_stopping && JSON.stringify(job.early_stopping)],
          ['engine', job.engine],
          ['backend', job.backend && `${job.backend.name}${job.backend.tensorflow_version ? ` (TensorFlow ${job.backend.tensorflow_version})` : ''}`],
          ['created', when(job.created_at)],
          ['started', when(job.started_at)],
          ['finished', when(job.finished_at)],
        ]),
      ),
      h('section', { class: 'panel' }, h('h2', {}, job.status === 'completed' ? 'Final metrics' : 'Latest metrics'), finalMetrics(history) ?? h('p', { class: 'muted' }, 'No epoch has finished yet.')),
    );
  }

  render();
  charts.update(history);
  if (!ACTIVE.includes(job.status)) return;
  const refresh = async () => {
    job = await get(`/v1/jobs/${enc(id)}`);
    render();
  };
  void follow(
    `/v1/jobs/${enc(id)}/events`,
    (type, data) => {
      if (type === 'epoch') {
        for (const [key, value] of Object.entries(data.logs)) (history[key] ??= [])[data.epoch - 1] = value;
        job.progress = { epoch: data.epoch, epochs: data.epochs };
        charts.update(history);
        render();
      } else if (type === 'status') void refresh();
    },
    signal,
  )
    .then(refresh)
    .catch((error) => {
      if (error.name !== 'AbortError' && !(error instanceof ApiError && error.status === 404)) head.append(errorBox(error));
    });
}
