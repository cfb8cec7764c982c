import { h, svg } from './dom.js';

const BOX_W = 150;
const BOX_H = 40;
const GAP_X = 36;
const GAP_Y = 28;

/**
 * The layers as nodes and their connections as edges: a chain for a
 * sequential definition, the `inputs` links for a functional one.
 */
export function layerGraph(definition, summary) {
  const architecture = definition.architecture;
  if (architecture.type === 'functional') {
    const nodes = [
      ...architecture.inputs.map((input) => ({ id: input.name, label: input.name, type: `Input ${JSON.stringify(input.shape)}` })),
      ...architecture.layers.map((layer) => ({ id: layer.name, label: layer.name, type: layer.type })),
    ];
    const edges = architecture.layers.flatMap((layer) => [layer.inputs].flat().filter(Boolean).map((from) => [from, layer.name]));
    return { nodes, edges };
  }
  // Before the first fit an unnamed layer has no name yet: Keras names it when it builds.
  const named = summary?.layers ?? architecture.layers.map((layer, i) => ({ name: layer.name ?? `#${i + 1}`, type: layer.type }));
  const nodes = [{ id: '#input', label: 'input', type: architecture.input_shape ? JSON.stringify(architecture.input_shape) : 'shape from the data' }, ...named.map((layer) => ({ id: layer.name, label: layer.name, type: layer.type }))];
  return { nodes, edges: nodes.slice(1).map((node, i) => [nodes[i].id, node.id]) };
}

/** Rows by longest path from an input, so every edge points down. */
function depths({ nodes, edges }) {
  const depth = new Map(nodes.map((node) => [node.id, 0]));
  for (let pass = 0; pass < nodes.length; pass++) {
    for (const [from, to] of edges) depth.set(to, Math.max(depth.get(to) ?? 0, (depth.get(from) ?? 0) + 1));
  }
  return depth;
}

/** An SVG drawing of the graph, top to bottom; siblings at one depth side by side. */
export function drawGraph(graph) {
  const depth = depths(graph);
  const rows = [];
  for (const node of graph.nodes) (rows[depth.get(node.id)] ??= []).push(node);
  const widest = Math.max(...rows.map((row) => row?.length ?? 0));
  const width = widest * BOX_W + (widest - 1) * GAP_X + 20;
  const position = new Map();
  rows.forEach((row, r) => {
    const rowWidth = row.length * BOX_W + (row.length - 1) * GAP_X;
    row.forEach((node, i) => position.set(node.id, { x: (width - rowWidth) / 2 + i * (BOX_W + GAP_X), y: 10 + r * (BOX_H + GAP_Y) }));
  });
  const height = rows.length * (BOX_H + GAP_Y) + 10;
  const title = `Layer graph: ${graph.nodes.length} nodes, ${graph.edges.length} connections`;
  return h(
    'div',
    { class: 'graph' },
    svg(
      'svg',
      { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title },
      svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' }, svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#8a93a3' }))),
      graph.edges.map(([from, to]) => {
        const a = position.get(from);
        const b = position.get(to);
        if (!a || !b) return null;
        const x1 = a.x + BOX_W / 2;
        const y1 = a.y + BOX_H;
        const x2 = b.x + BOX_W / 2;
        const y2 = b.y;
        return svg('path', { class: 'edge', d: `M${x1},${y1} C${x1},${y1 + GAP_Y / 2} ${x2},${y2 - GAP_Y / 2} ${x2},${y2}` });
      }),
      graph.nodes.map((node) => {
        const { x, y } = position.get(node.id);
        return svg(
          'g',
          { class: 'node', transform: `translate(${x},${y})` },
          svg('title', {}, `${node.label}: ${node.type}`),
          svg('rect', { width: BOX_W, height: BOX_H, rx: 5 }),
          svg('text', { x: BOX_W / 2, y: 16, 'text-anchor': 'middle', 'font-weight': 600 }, clip(node.label)),
          svg('text', { x: BOX_W / 2, y: 32, 'text-anchor': 'middle' }, clip(node.type)),
        );
      }),
    ),
  );
}

function clip(text) {
  return text.length > 20 ? `${text.slice(0, 19)}…` : text;
}
