import assert from 'node:assert/strict';
import type { Dataset } from '../../src/datasets/types.js';
import { canLower, lowerModel } from '../../src/graph/index.js';
import { GraphSession, tensor } from '../../src/graph/session.js';
import { parseModelDefinition, planModel } from '../../src/models/index.js';
import { assertClose, floats } from './graph.js';

// Gradients in the graph against central finite differences of the loss. The gradient is read off one plain
// SGD step with learning rate 1 (w − w' = ∇L), the loss from the inference pass (the same function here:
// no Dropout, no BatchNormalization). Float32 with h = 1e-2: agreement within 2e-3 + 2e-2 relative.
const H = 1e-2;

/** `model`: a sequential model's layers, or a whole architecture. */
export async function checkGradient(model: unknown[] | Record<string, unknown>, loss: string, data: Dataset, start: 'random' | 'zeros' = 'random'): Promise<void> {
  const definition = parseModelDefinition({
    architecture: Array.isArray(model) ? { type: 'sequential', input_shape: data.x.shape.slice(1), layers: model } : model,
    compile: { optimizer: { type: 'sgd', learning_rate: 1 }, loss },
  });
  const lowers = canLower(definition);
  assert.ok(lowers.ok, lowers.ok ? '' : `${lowers.path}: ${lowers.reason}`);
  const plan = planModel(definition, { maxParams: 1e6, maxLayers: 10 });
  assert.ok(plan && definition.compile);
  const lowered = lowerModel(plan, definition.compile, data.y.shape.slice(1), 1);
  const session = new GraphSession(lowered, { intraOp: 1, interOp: 1 });
  try {
    const initial = lowered.store.weights.map((w, i) => (start === 'zeros' ? new Float32Array(w.shape.reduce((a, c) => a * c, 1)) : floats(w.shape, 100 + i, -0.5, 0.5)));
    const feeds = [
      [lowered.x, tensor(data.x.data as Float32Array, data.x.shape)],
      [lowered.y, tensor(data.y.data as Float32Array, data.y.shape)],
    ] as const;
    const lossAt = async (weights: Float32Array[]) => {
      await session.loadWeights(weights);
      const [value] = await session.run(feeds, [lowered.evalFetches[0] as NonNullable<(typeof lowered.evalFetches)[0]>]);
      return value?.data[0] as number;
    };

    await session.loadWeights(initial);
    await session.run([...feeds, [lowered.iteration, tensor(Float32Array.of(1), [])]], [], [lowered.trainStep]);
    const stepped = await session.fetchWeights();

    for (const [v, weight] of initial.entries()) {
      const analytic = weight.map((w, i) => w - (stepped[v] as Float32Array)[i]!);
      const numeric = new Float32Array(weight.length);
      for (let i = 0; i < weight.length; i++) {
        const plus = initial.map((w) => w.slice());
        const minus = initial.map((w) => w.slice());
        (plus[v] as Float32Array)[i]! += H;
        (minus[v] as Float32Array)[i]! -= H;
        numeric[i] = ((await lossAt(plus)) - (await lossAt(minus))) / (2 * H);
      }
      const { layer, weight: name } = lowered.store.weights[v]!;
      assertClose(analytic, numeric, 2e-3, 2e-2, `${loss}: d loss / d ${layer}/${name}`);
    }
  } finally {
    session.close();
  }
}

