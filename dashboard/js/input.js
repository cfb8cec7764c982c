import { h } from './dom.js';
import { drawingPad } from './pad.js';

/** A 28×28 input, with or without a trailing channel of 1: MNIST's shape. */
export function isDigitShape(shape) {
  return shape[0] === 28 && shape[1] === 28 && (shape.length === 2 || (shape.length === 3 && shape[2] === 1));
}

function numberRow(count, names) {
  const inputs = Array.from({ length: count }, (_, i) =>
    h('div', { class: 'field' }, h('label', { for: `feature-${i}` }, names?.[i] ?? `x[${i}]`), h('input', { id: `feature-${i}`, type: 'number', step: 'any', value: 0, required: true })),
  );
  return { element: h('div', { class: 'row' }, inputs), read: () => inputs.map((field) => Number(field.querySelector('input').value)) };
}

function jsonInput(shape) {
  const area = h('textarea', { id: 'instance-json', rows: 6, cols: 60, 'aria-label': `one sample as JSON, shape ${JSON.stringify(shape)}` });
  return { element: h('div', { class: 'field' }, h('label', { for: 'instance-json' }, `one sample as JSON, shape ${JSON.stringify(shape)}`), area), read: () => JSON.parse(area.value) };
}

/**
 * The input form for one sample, built from the model's input shape: a row of
 * numbers for tabular models, a drawing pad for 28×28 images (with a JSON box
 * for keyboards), JSON for anything else.
 */
export function sampleInput(version, { onDraw, featureNames } = {}) {
  const shape = version.input_shape;
  if (shape.length === 1 && shape[0] !== null && shape[0] <= 64) return numberRow(shape[0], featureNames);
  if (!isDigitShape(shape)) return jsonInput(shape);
  const pad = drawingPad({ onDraw });
  const typed = jsonInput([28, 28]);
  const clear = h('button', { type: 'button', onclick: () => pad.clear() }, 'Clear');
  const element = h('div', {}, h('div', {}, pad.canvas), h('p', {}, clear), h('details', {}, h('summary', {}, 'or type the 28×28 grey levels'), typed.element));
  const read = () => {
    const grid = typed.element.querySelector('textarea').value.trim() ? typed.read() : pad.read();
    return shape.length === 3 ? grid.map((row) => row.map((v) => [v])) : grid;
  };
  return { element, read, pad };
}
