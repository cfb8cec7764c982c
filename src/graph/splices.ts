import { DType, type Output } from './addon.js';
import type { GraphBuilder } from './builder.js';
import type { SplicedInput } from './layer-lowering.js';

/**
 * An op the C API cannot differentiate, as the training pass sees it: the
 * layers after it read `cut` (a StopGradient of its output), so that
 * `TF_AddGradients` never meets the op itself, and `inputs` carry its
 * hand-written backward.
 */
export interface Splice {
  cut: Output;
  inputs: readonly SplicedInput[];
}

/** Marks `out` as a splice's output; returns the cut value the layers after it read. */
export function cutAt(b: GraphBuilder, splices: Splice[], out: Output, inputs: readonly SplicedInput[]): Output {
  const cut = b.stopGradient(out);
  splices.push({ cut, inputs });
  return cut;
}

const same = (a: Output, b: Output) => a[0] === b[0] && a[1] === b[1];

/**
 * d(Σ ys·dys)/d xs through the splices, by the chain rule segment by segment:
 * the C API differentiates from the loss back to the weights and to the cut
 * of every splice; then, from the last splice to the first, the cut's gradient
 * goes through the hand-written backward to the splice's inputs, and the C API
 * takes it on from there to the weights and to earlier cuts. `splices` are in
 * the order the forward pass made them, so a splice's inputs depend only on
 * earlier ones.
 */
export function gradientsThroughSplices(
  b: GraphBuilder,
  ys: readonly Output[],
  dys: readonly Output[] | null,
  xs: readonly Output[],
  splices: readonly Splice[],
): Output[] {
  if (splices.length === 0) return b.lib.addGradients(b.graph, b.uniqueName('grad'), ys, xs, dys);
  const cuts = new Set(splices.map((s) => s.cut[0]));
  const toXs: Output[][] = xs.map(() => []);
  const toCuts: Output[][] = splices.map(() => []);
  const collect = (sources: readonly Output[], seeds: readonly Output[] | null, before: number) => {
    const targets = [...xs, ...splices.slice(0, before).map((s) => s.cut)];
    const bucket = (i: number) => (i < xs.length ? toXs[i] : toCuts[i - xs.length]) as Output[];
    const reached = b.reaching(sources, targets, cuts);
    const wanted = targets.flatMap((target, i) => (reached[i] ? [{ target, i }] : []));
    if (wanted.length === 0) return;
    const grads = b.lib.addGradients(b.graph, b.uniqueName('grad'), sources, wanted.map((w) => w.target), seeds);
    wanted.forEach(({ i }, k) => bucket(i).push(grads[k] as Output));
  };

  collect(ys, dys, splices.length);
  for (let j = splices.length - 1; j >= 0; j--) {
    const splice = splices[j] as Splice;
    const dy = sumAll(b, toCuts[j] as Output[]);
    if (!dy) continue;
    const targets = [...xs, ...splices.slice(0, j).map((s) => s.cut)];
    const sources: Output[] = [];
    const seeds: Output[] = [];
    for (const input of splice.inputs) {
      // An input that is itself a weight or an earlier cut takes its gradient as is; the rest go through the C API.
      const direct = targets.findIndex((target) => same(target, input.value));
      if (direct >= 0) {
        (direct < xs.length ? toXs[direct] : toCuts[direct - xs.length])?.push(input.gradient(dy));
      } else if (b.reaching([input.value], targets, cuts).some(Boolean)) {
        sources.push(input.value);
        seeds.push(input.gradient(dy));
      }
    }
    if (sources.length > 0) collect(sources, seeds, j);
  }
  return toXs.map((terms, i) => {
    const sum = sumAll(b, terms);
    if (!sum) throw new Error(`the loss does not depend on ${(xs[i] as Output)[0]}`);
    return sum;
  });
}

function sumAll(b: GraphBuilder, terms: readonly Output[]): Output | null {
  if (terms.length <= 1) return terms[0] ?? null;
  return b.op('AddN', [terms], { T: { kind: 'type', value: DType.float32 }, N: { kind: 'int', value: terms.length } });
}
