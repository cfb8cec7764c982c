/**
 * Builds an element: `h('button', {class: 'primary', onclick: fn}, 'Save')`.
 * Handlers are attached with addEventListener, because the CSP forbids inline ones.
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else if (name in element && typeof value !== 'string') element[name] = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
}

/** Same-namespace SVG elements, for the layer graph. */
export function svg(tag, attrs = {}, ...children) {
  const element = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  append(element, children);
  return element;
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

export function badge(status) {
  return h('span', { class: `badge ${status}` }, status);
}

/** Numbers as Keras prints them in logs: four significant decimals, null (a diverged value) as "nan". */
export function fmt(value) {
  if (value === null || value === undefined) return 'nan';
  if (typeof value !== 'number') return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en');
  return Math.abs(value) >= 1000 || Math.abs(value) < 1e-3 ? value.toExponential(3) : value.toFixed(4);
}

export function shape(dims) {
  return `(${dims.map((d) => (d === null ? 'None' : d)).join(', ')}${dims.length === 1 ? ',' : ''})`;
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '—';
}

/** A definition list from [label, value] pairs, skipping empty values. */
export function facts(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter(([, value]) => value !== undefined && value !== null && value !== '').flatMap(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]));
}

export function errorBox(error) {
  return h('p', { class: 'error', role: 'alert' }, error.message ?? String(error));
}
