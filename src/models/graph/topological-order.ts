import { ValidationError } from '../../errors.js';

/** Kahn's algorithm, keeping the definition's order where it is free to; a cycle is an error naming it. */
export function topologicalOrder(layers: { name: string; inputs: string[] }[], inputName: string): number[] {
  const done = new Set([inputName]);
  const order: number[] = [];
  const pending = layers.map((_, i) => i);
  while (pending.length > 0) {
    const ready = pending.findIndex((i) => (layers[i] as { inputs: string[] }).inputs.every((name) => done.has(name)));
    if (ready < 0) {
      const cycle = findCycle(layers, new Set(pending.map((i) => (layers[i] as { name: string }).name)));
      const start = layers.findIndex((layer) => layer.name === cycle[0]);
      throw ValidationError.at(`architecture.layers[${start}].inputs`, `layers form a cycle: ${cycle.join(' → ')}`);
    }
    const [index] = pending.splice(ready, 1) as [number];
    order.push(index);
    done.add((layers[index] as { name: string }).name);
  }
  return order;
}

/** Among layers that never became ready, follows unready inputs until a name repeats. */
function findCycle(layers: { name: string; inputs: string[] }[], stuck: Set<string>): string[] {
  const byName = new Map(layers.map((layer) => [layer.name, layer]));
  const path: string[] = [];
  let current = [...stuck][0] as string;
  while (!path.includes(current)) {
    path.push(current);
    current = (byName.get(current)?.inputs ?? []).find((name) => stuck.has(name)) as string;
  }
  return [...path.slice(path.indexOf(current)), current];
}
