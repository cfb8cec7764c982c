import { enc, get, post } from '../api.js';
import { errorBox, h, replace, shape } from '../dom.js';
import { sampleInput } from '../input.js';
import { bars, channels, dims, flatten, heatmap, histogram, kernelImages, pixelFor } from '../viz.js';
import { trainedModel } from './model-context.js';

const MAX_BARS = 64;

/** One layer's output for one sample: feature maps for 3D, a heatmap for 2D, bars (or a strip) for a vector. */
function activationView(layer, output) {
  const size = dims(output);
  if (size.length === 3) {
    const pixel = pixelFor(Math.max(size[0], size[1]), 56);
    return h('div', { class: 'maps', 'data-maps': size[2] }, channels(output).map((values, c) => heatmap(values, size[0], size[1], { pixel, label: `${layer.name} feature map ${c}` })));
  }
  if (size.length === 2) return heatmap(flatten(output), size[0], size[1], { pixel: pixelFor(Math.max(...size), 168), label: `${layer.name} output` });
  const values = flatten(output);
  if (values.length <= MAX_BARS) return bars(values);
  const cols = Math.ceil(Math.sqrt(values.length));
  const rows = Math.ceil(values.length / cols);
  const padded = [...values, ...new Array(rows * cols - values.length).fill(NaN)];
  return heatmap(padded, rows, cols, { pixel: pixelFor(cols, 168), label: `${layer.name}: ${values.length} values, wrapped into rows` });
}

function weightView(layer, weight) {
  const values = flatten(weight.values);
  const parts = [h('h3', {}, `${layer.name}.${weight.name} `, h('code', {}, shape(weight.shape))), histogram(values)];
  if (weight.shape.length === 4) {
    const [kh, kw] = weight.shape;
    parts.push(h('p', { class: 'muted' }, 'One image per filter (averaged over input channels); orange positive, blue negative.'), h('div', { class: 'maps', 'data-kernels': weight.shape[3] }, kernelImages(weight.values).map((kernel, f) => heatmap(kernel, kh, kw, { pixel: pixelFor(Math.max(kh, kw), 36), diverging: true, label: `filter ${f}` }))));
  } else if (weight.shape.length === 2) {
    const [rows, cols] = weight.shape;
    parts.push(heatmap(values, rows, cols, { pixel: pixelFor(Math.max(rows, cols), 240), diverging: true, label: `${layer.name}.${weight.name} matrix` }));
  }
  return h('div', {}, parts);
}

/** The seed's "Inspizieren": every layer's output for one input, and a chosen layer's weights. */
export async function inspectView(view, { params: [name] }) {
  const { model, version, featureNames } = await trainedModel(name);
  const outputs = h('div', { id: 'activations', 'aria-live': 'polite' });
  const inspect = async () => {
    try {
      const answer = await post(`/v1/models/${enc(model.id)}/inspect`, { instances: [input.read()] });
      replace(
        outputs,
        answer.layers.map((layer) =>
          h('section', { class: 'panel layer', 'data-layer': layer.name, 'data-type': layer.type }, h('h3', {}, `${layer.name} (${layer.type}) `, h('code', {}, shape(layer.output_shape))), activationView(layer, layer.output[0])),
        ),
      );
    } catch (error) {
      replace(outputs, errorBox(error));
    }
  };
  const input = sampleInput(version, { onDraw: inspect, featureNames });

  const { layers } = await get(`/v1/models/${enc(model.id)}/layers?weights=true`);
  const weighted = layers.filter((layer) => layer.weights.length > 0);
  const weights = h('div', { id: 'weights' });
  const chooser = h('select', { id: 'weight-layer', onchange: () => showWeights() }, weighted.map((layer) => h('option', { value: layer.name }, `${layer.name} (${layer.type})`)));
  const showWeights = () => {
    const layer = weighted.find((candidate) => candidate.name === chooser.value);
    replace(weights, layer ? layer.weights.map((weight) => weightView(layer, weight)) : h('p', { class: 'muted' }, 'No layer has weights.'));
  };

  replace(
    view,
    h('h1', {}, 'Inside ', h('a', { href: `#/models/${enc(model.name)}` }, model.name)),
    h('p', { class: 'muted' }, `Version ${version.version}: every layer's output for one input, and the weights of the layer you choose.`),
    h('div', { class: 'grid2' }, h('form', { class: 'panel', id: 'inspect-form', onsubmit: (event) => {
      event.preventDefault();
      void inspect();
    } }, h('h2', {}, 'Input'), input.element, h('p', {}, h('button', { class: 'primary', type: 'submit' }, 'Look inside'))),
    h('section', { class: 'panel' }, h('h2', {}, 'Weights'), h('div', { class: 'row' }, h('label', { for: 'weight-layer' }, 'layer'), chooser), weights)),
    h('h2', {}, 'Layer outputs'),
    outputs,
  );
  showWeights();
}
