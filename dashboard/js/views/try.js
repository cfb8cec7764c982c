import { enc, post } from '../api.js';
import { errorBox, h, replace } from '../dom.js';
import { sampleInput } from '../input.js';
import { bars, flatten } from '../viz.js';
import { trainedModel } from './model-context.js';

/** Predict for one sample: the class and every class's probability as bars, or the values for a regression. */
export async function tryView(view, { params: [name] }) {
  const { model, version, featureNames } = await trainedModel(name);
  const result = h('div', { id: 'prediction', 'aria-live': 'polite' });
  const predict = async () => {
    try {
      const answer = await post(`/v1/models/${enc(model.id)}/predict`, { instances: [input.read()] });
      const values = flatten(answer.predictions[0]);
      const labels = version.class_names ?? values.map((_, i) => String(i));
      const best = values.indexOf(Math.max(...values));
      const classified = values.length > 1;
      replace(
        result,
        classified ? h('p', {}, 'Predicted class ', h('span', { class: 'prediction', id: 'predicted-class' }, answer.classes?.[0] ?? labels[best])) : null,
        bars(values, classified ? labels : values.map((_, i) => `output ${i}`), { highlightMax: classified }),
        h('p', { class: 'muted' }, `version ${answer.version}`),
      );
    } catch (error) {
      replace(result, errorBox(error));
    }
  };
  const input = sampleInput(version, { onDraw: predict, featureNames });
  replace(
    view,
    h('h1', {}, 'Try ', h('a', { href: `#/models/${enc(model.name)}` }, model.name)),
    h('p', { class: 'muted' }, `Version ${version.version}; input shape ${JSON.stringify(version.input_shape)}.`, input.pad ? ' Draw a digit: it is predicted as you lift the pen.' : ''),
    h(
      'div',
      { class: 'pad-wrap' },
      h('form', { class: 'panel', id: 'try-form', onsubmit: (event) => {
        event.preventDefault();
        void predict();
      } }, input.element, h('p', {}, h('button', { class: 'primary', type: 'submit' }, 'Predict'))),
      h('section', { class: 'panel', style: 'min-width:min(100%,320px)' }, h('h2', {}, 'Prediction'), result),
    ),
  );
}
