import { ApiError, api, enc, get } from '../api.js';
import { errorBox, fmt, h, replace, shape, when } from '../dom.js';

/**
 * How dropped files go up: one CSV or .npz as a `file` field, or an x/y pair
 * of .npy files (named by their file names) as `x` and `y`, in one multipart form.
 */
function uploadBody(files, name) {
  const form = new FormData();
  form.append('name', name);
  if (files.length === 2 && files.every((file) => file.name.endsWith('.npy'))) {
    const x = files.find((file) => /(^|[^a-z])x[^a-z]*\.npy$/i.test(file.name)) ?? files[0];
    const y = files.find((file) => file !== x);
    form.append('x', x, x.name);
    form.append('y', y, y.name);
    return form;
  }
  if (files.length !== 1) throw new Error('Drop one .csv or .npz file, or two .npy files (x and y).');
  form.append('file', files[0], files[0].name);
  return form;
}

function datasetTable(builtin, datasets, onDelete) {
  const rows = [
    ...builtin.flatMap((info) => info.splits.map((split) => ({ name: `${info.name}${info.splits.length > 1 ? ` (${split.name})` : ''}`, kind: 'built-in', rows: split.rows, x: [split.rows, ...info.x_shape], y: [split.rows, ...info.y_shape], classes: info.class_names, detail: info.description }))),
    ...datasets.map((dataset) => ({ name: dataset.name, id: dataset.id, kind: 'uploaded', rows: dataset.rows, x: [dataset.rows, ...dataset.x_shape], y: [dataset.rows, ...dataset.y_shape], classes: dataset.class_names, detail: `${fmt(dataset.bytes)} bytes, ${when(dataset.created_at)}` })),
  ];
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { id: 'datasets' },
      h('thead', {}, h('tr', {}, h('th', {}, 'name'), h('th', {}, 'kind'), h('th', { class: 'num' }, 'rows'), h('th', {}, 'x'), h('th', {}, 'y'), h('th', { class: 'hide-narrow' }, 'classes'), h('th', { class: 'hide-narrow' }, ''), h('th', {}, ''))),
      h(
        'tbody',
        {},
        rows.map((row) =>
          h(
            'tr',
            { 'data-dataset': row.name },
            h('td', {}, row.name),
            h('td', {}, row.kind),
            h('td', { class: 'num' }, fmt(row.rows)),
            h('td', {}, h('code', {}, shape(row.x))),
            h('td', {}, h('code', {}, shape(row.y))),
            h('td', { class: 'hide-narrow' }, row.classes?.length ? row.classes.slice(0, 10).join(', ') + (row.classes.length > 10 ? ', …' : '') : ''),
            h('td', { class: 'hide-narrow muted' }, row.detail),
            h('td', {}, row.id ? h('button', { class: 'danger', type: 'button', 'aria-label': `delete ${row.name}`, onclick: () => onDelete(row) }, 'Delete') : ''),
          ),
        ),
      ),
    ),
  );
}

export async function datasetsView(view) {
  const list = h('div');
  const message = h('div', { id: 'upload-result', 'aria-live': 'polite' });
  const refresh = async () => {
    const { builtin, datasets } = await get('/v1/datasets');
    replace(list, datasetTable(builtin, datasets, async (row) => {
      try {
        await api('DELETE', `/v1/datasets/${enc(row.id)}`);
        await refresh();
      } catch (error) {
        replace(message, errorBox(error));
      }
    }));
  };
  const name = h('input', { id: 'upload-name', placeholder: 'from the file name' });
  const target = h('input', { id: 'upload-target', placeholder: 'e.g. label' });
  const picker = h('input', { id: 'upload-files', type: 'file', multiple: true, accept: '.csv,.npz,.npy' });

  const upload = async (files) => {
    if (!files.length) return;
    const chosen = name.value.trim() || files[0].name.replace(/(_?x)?\.(csv|npz|npy)$/i, '');
    try {
      const query = target.value.trim() ? `?target=${enc(target.value.trim())}` : '';
      const dataset = await api('POST', `/v1/datasets${query}`, uploadBody(files, chosen));
      replace(message, h('p', { role: 'status' }, `Stored ${dataset.name}: ${fmt(dataset.rows)} rows, x ${shape([dataset.rows, ...dataset.x_shape])}, y ${shape([dataset.rows, ...dataset.y_shape])}.`));
      await refresh();
    } catch (error) {
      const status = error instanceof ApiError ? `${error.status} ${error.code}: ` : '';
      const details = error instanceof ApiError ? error.details : [];
      replace(message, h('div', { class: 'error', role: 'alert' }, details.length ? [status, h('ul', { class: 'errors' }, details.map((d) => h('li', {}, `${d.path}: ${d.message}`)))] : `${status}${error.message}`));
    }
  };
  picker.addEventListener('change', () => void upload([...picker.files]));
  const drop = h('div', { class: 'drop', id: 'drop-zone' }, h('p', {}, 'Drop a CSV (header row), an .npz with arrays x and y, or two .npy files here, or choose them:'), picker);
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    void upload([...event.dataTransfer.files]);
  });

  replace(
    view,
    h('h1', {}, 'Datasets'),
    h('section', { class: 'panel' }, h('h2', {}, 'Upload'), h('div', { class: 'row' }, h('div', { class: 'field' }, h('label', { for: 'upload-name' }, 'name'), name), h('div', { class: 'field' }, h('label', { for: 'upload-target' }, 'CSV: label column(s)'), target)), h('div', { style: 'margin-top:10px' }, drop), message),
    h('section', { class: 'panel' }, h('h2', {}, 'Stored and built-in'), list),
  );
  await refresh();
}
