/**
 * Formats a value exactly as `JSON.stringify(value, null, 2)` does, and
 * records the line each path starts on, written as the API names paths:
 * `architecture.layers[2].units`.
 */
export function formatWithLines(value) {
  const lines = [];
  const lineOf = new Map();
  const walk = (node, path, indent, prefix, suffix) => {
    lineOf.set(path, lines.length + 1);
    const entries = Array.isArray(node) ? node.map((item, i) => [`${path}[${i}]`, '', item]) : node !== null && typeof node === 'object' ? Object.entries(node).map(([key, item]) => [path ? `${path}.${key}` : key, `${JSON.stringify(key)}: `, item]) : null;
    if (!entries || entries.length === 0) {
      lines.push(`${indent}${prefix}${JSON.stringify(node)}${suffix}`);
      return;
    }
    const [open, close] = Array.isArray(node) ? ['[', ']'] : ['{', '}'];
    lines.push(`${indent}${prefix}${open}`);
    entries.forEach(([childPath, childPrefix, item], i) => walk(item, childPath, `${indent}  `, childPrefix, i < entries.length - 1 ? ',' : ''));
    lines.push(`${indent}${close}${suffix}`);
  };
  walk(value, '', '', '', '');
  return { text: lines.join('\n'), lineOf };
}

/** The line of a path, or of its nearest enclosing path that exists (a missing field points at its object). */
export function lineOfPath(lineOf, path) {
  for (let current = path; ; ) {
    if (lineOf.has(current)) return lineOf.get(current);
    const parent = current.replace(/\[\d+\]$|\.?[^.[\]]+$/, '');
    if (parent === current) return 1;
    current = parent;
  }
}
