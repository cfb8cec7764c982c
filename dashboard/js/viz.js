import { fmt, h } from './dom.js';

/** Nested arrays to a flat list of numbers (null, a diverged value, as NaN). */
export function flatten(value) {
  return Array.isArray(value) ? value.flatMap(flatten) : [value ?? NaN];
}

export function dims(value) {
  const shape = [];
  for (let node = value; Array.isArray(node); node = node[0]) shape.push(node.length);
  return shape;
}

function range(values) {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? [min, max] : [0, 0];
}

/**
 * A rows×cols grid of values as a canvas: black to white between the grid's
 * own min and max, or blue-white-orange around zero for signed weights.
 */
export function heatmap(values, rows, cols, { pixel = 4, diverging = false, label } = {}) {
  const canvas = h('canvas', { width: cols, height: rows, class: 'pixels', role: 'img', 'aria-label': label ?? `${rows}×${cols} heatmap` });
  canvas.style.width = `${cols * pixel}px`;
  canvas.style.height = `${rows * pixel}px`;
  const context = canvas.getContext('2d');
  const image = context.createImageData(cols, rows);
  const [min, max] = range(values);
  const bound = Math.max(Math.abs(min), Math.abs(max)) || 1;
  values.forEach((v, i) => {
    let rgb;
    if (!Number.isFinite(v)) return;
    if (diverging) {
      const t = v / bound;
      rgb = t < 0 ? [255 + t * 219, 255 + t * 168, 255 + t * 58] : [255 - t * 61, 255 - t * 168, 255 - t * 229];
    } else {
      const g = max > min ? ((v - min) / (max - min)) * 255 : 0;
      rgb = [g, g, g];
    }
    image.data.set([...rgb, 255], i * 4);
  });
  context.putImageData(image, 0, 0);
  return canvas;
}

/** A pixel size that draws a side of `size` values at about `target` CSS pixels. */
export function pixelFor(size, target) {
  return Math.max(1, Math.min(12, Math.floor(target / size)));
}

/** Values as labelled horizontal bars; the largest is marked, as a prediction's class is. */
export function bars(values, labels = values.map((_, i) => String(i)), { highlightMax = false } = {}) {
  const bound = Math.max(...values.map((v) => Math.abs(v ?? 0))) || 1;
  const best = highlightMax ? values.indexOf(Math.max(...values)) : -1;
  return h(
    'div',
    { class: 'bars', role: 'list' },
    values.flatMap((v, i) => [
      h('span', { class: i === best ? 'best' : '', role: 'listitem', 'aria-label': `${labels[i]}: ${fmt(v)}` }, labels[i]),
      h('div', {}, h('div', { class: `bar${(v ?? 0) < 0 ? ' neg' : ''}`, style: `width:${(Math.abs(v ?? 0) / bound) * 100}%` })),
      h('span', { class: i === best ? 'best num' : 'num' }, fmt(v)),
    ]),
  );
}

/** A histogram of many values, drawn on a canvas with its range written under it. */
export function histogram(values, { bins = 40, width = 360, height = 120 } = {}) {
  const [min, max] = range(values);
  const counts = new Array(bins).fill(0);
  for (const v of values) if (Number.isFinite(v)) counts[Math.min(bins - 1, Math.floor(((v - min) / (max - min || 1)) * bins))]++;
  const canvas = h('canvas', { width, height, role: 'img', 'aria-label': `histogram of ${values.length} values from ${fmt(min)} to ${fmt(max)}` });
  const context = canvas.getContext('2d');
  const top = Math.max(...counts) || 1;
  context.fillStyle = '#2457c5';
  counts.forEach((count, i) => {
    const barHeight = (count / top) * (height - 4);
    context.fillRect((i * width) / bins + 1, height - barHeight, width / bins - 2, barHeight);
  });
  return h('figure', { class: 'histogram' }, canvas, h('figcaption', { class: 'muted' }, `${values.length.toLocaleString('en')} values, ${fmt(min)} … ${fmt(max)}`));
}

/** Slices a [h][w][c] activation into c maps of h×w. */
export function channels(activation) {
  const depth = dims(activation)[2];
  return Array.from({ length: depth }, (_, c) => activation.flatMap((row) => row.map((cell) => cell[c] ?? NaN)));
}

/** A Conv2D kernel [kh][kw][in][out] as one kh×kw image per filter, averaged over the input channels. */
export function kernelImages(kernel) {
  const [kh, kw, inputs, filters] = dims(kernel);
  return Array.from({ length: filters }, (_, f) => {
    const values = [];
    for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) values.push(kernel[y][x].reduce((sum, column) => sum + column[f], 0) / inputs);
    return values;
  });
}
