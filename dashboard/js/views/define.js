import { enc, post } from '../api.js';
import { h, replace } from '../dom.js';
import { EXAMPLES, isKerasJson, wrapKeras } from '../examples.js';
import { formatWithLines, lineOfPath } from '../json-lines.js';

const DRAFT = 'modelyard.define-draft';

/**
 * A JSON editor for a model definition. Submitting reformats the text, so each
 * path the API names in an error maps to a line, which the gutter marks.
 */
export async function defineView(view) {
  const gutter = h('pre', { class: 'gutter', 'aria-hidden': 'true' });
  const editor = h('textarea', { id: 'definition', spellcheck: false, 'aria-label': 'model definition (JSON)', 'aria-describedby': 'define-help' });
  const errors = h('div', { id: 'define-errors', 'aria-live': 'assertive' });
  let marked = new Map();

  const drawGutter = () => {
    const count = editor.value.split('\n').length;
    replace(gutter, Array.from({ length: count }, (_, i) => [marked.has(i + 1) ? h('span', { class: 'bad', title: marked.get(i + 1) }, String(i + 1)) : String(i + 1), '\n']));
    gutter.scrollTop = editor.scrollTop;
  };
  const load = (value) => {
    const { text, lineOf } = formatWithLines(value);
    editor.value = text;
    return lineOf;
  };
  const useExample = (key) => {
    marked = new Map();
    replace(errors);
    load(EXAMPLES[key].definition);
    drawGutter();
    editor.focus();
  };
  const selectLine = (line) => {
    const starts = editor.value.split('\n').slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0);
    const end = editor.value.indexOf('\n', starts);
    editor.focus();
    editor.setSelectionRange(starts, end === -1 ? editor.value.length : end);
    editor.scrollTop = Math.max(0, (line - 4) * parseFloat(getComputedStyle(editor).lineHeight));
  };

  editor.addEventListener('input', () => {
    sessionStorage.setItem(DRAFT, editor.value);
    marked = new Map();
    drawGutter();
  });
  editor.addEventListener('scroll', () => (gutter.scrollTop = editor.scrollTop));
  editor.addEventListener('paste', (event) => {
    const text = event.clipboardData?.getData('text') ?? '';
    let pasted;
    try {
      pasted = JSON.parse(text);
    } catch {
      return;
    }
    if (!isKerasJson(pasted)) return;
    event.preventDefault();
    load(wrapKeras(pasted));
    drawGutter();
    replace(errors, h('p', { class: 'muted', role: 'status' }, 'Keras to_json() output, wrapped as an architecture of type "keras". Keras keeps compile settings outside that JSON: check "compile" before creating.'));
  });

  async function submit(event) {
    event.preventDefault();
    marked = new Map();
    let value;
    try {
      value = JSON.parse(editor.value);
    } catch (error) {
      replace(errors, h('p', { class: 'error', role: 'alert' }, `Not valid JSON: ${error.message}`));
      drawGutter();
      return;
    }
    if (isKerasJson(value)) value = wrapKeras(value);
    const lineOf = load(value);
    try {
      const model = await post('/v1/models', value);
      sessionStorage.removeItem(DRAFT);
      location.hash = `#/models/${enc(model.name)}`;
    } catch (error) {
      const details = error.details ?? [];
      for (const detail of details) marked.set(lineOfPath(lineOf, detail.path), `${detail.path}: ${detail.message}`);
      replace(
        errors,
        h('p', { class: 'error', role: 'alert' }, `${error.status} ${error.code}: ${error.message}`),
        details.length
          ? h(
              'ul',
              { class: 'errors' },
              details.map((detail) => {
                const line = lineOfPath(lineOf, detail.path);
                return h('li', { 'data-path': detail.path }, h('button', { type: 'button', onclick: () => selectLine(line) }, `line ${line}`), ' ', h('code', {}, detail.path), `: ${detail.message}`);
              }),
            )
          : null,
      );
    }
    drawGutter();
  }

  replace(
    view,
    h('h1', {}, 'Define a model'),
    h(
      'p',
      { id: 'define-help', class: 'muted' },
      'Keras layer names and arguments, as JSON: ',
      h('code', {}, 'sequential'), ', ', h('code', {}, 'functional'), ', or paste what Keras’s ', h('code', {}, 'model.to_json()'), ' wrote. Errors are marked at the line of the path they name.',
    ),
    h('div', { class: 'row' }, h('span', { class: 'muted' }, 'Start from:'), Object.entries(EXAMPLES).map(([key, example]) => h('button', { type: 'button', 'data-example': key, onclick: () => useExample(key) }, example.label))),
    h('form', { id: 'define-form', onsubmit: submit }, h('div', { class: 'editor' }, gutter, editor), errors, h('p', {}, h('button', { class: 'primary', type: 'submit' }, 'Create model'))),
  );
  const draft = sessionStorage.getItem(DRAFT);
  if (draft) editor.value = draft;
  else load(EXAMPLES.iris.definition);
  drawGutter();
}
