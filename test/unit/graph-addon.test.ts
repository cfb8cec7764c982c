import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DType, addon, loadAddon } from '../../src/graph/addon.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import { configProto } from '../../src/graph/session-config.js';

describe('the graph addon', () => {
  it('loads against the TensorFlow library tfjs-node uses', () => {
    const loaded = loadAddon();
    assert.ok('addon' in loaded, 'error' in loaded ? loaded.error : '');
    assert.match(loaded.addon.version(), /^2\.\d+\.\d+/);
  });

  it('builds ops with attributes, adds gradients and runs with typed-array feeds and fetches', async () => {
    const b = new GraphBuilder();
    const x = b.placeholder('x', [-1, 2]);
    const w = b.constant([1, 2], [2, 1]);
    const y = b.sum(b.square(b.matmul(x, w)), [0, 1]);
    const [dx] = b.lib.addGradients(b.graph, 'grad', [y], [x], null);
    assert.deepEqual(b.lib.outputShape(b.graph, b.matmul(x, w)), [-1, 1]);
    const session = b.lib.newSession(b.graph, configProto({ intraOp: 1, interOp: 1 }));
    try {
      const feed = { dtype: DType.float32, shape: [2, 2], data: Float32Array.of(1, 1, 2, 0) } as const;
      const [value, gradient] = await b.lib.run(session, b.graph, [[x, feed]], [y, dx as NonNullable<typeof dx>], []);
      assert.deepEqual([...(value?.data ?? [])], [9 + 4]);
      // d/dx Σ (x·w)² = 2 (x·w) wᵀ: rows 2·3·[1, 2] and 2·2·[1, 2].
      assert.deepEqual([...(gradient?.data ?? [])], [6, 12, 4, 8]);
      assert.deepEqual(gradient?.shape, [2, 2]);
    } finally {
      b.lib.closeSession(session);
    }
  });

  it('turns bad requests into exceptions, not crashes', async () => {
    const lib = addon();
    const b = new GraphBuilder(lib);
    const x = b.placeholder('x', [-1, 2]);
    assert.throws(() => lib.addOperation(b.graph, { type: 'NoSuchOp', name: 'n' }), /unknown operation type NoSuchOp/);
    assert.throws(() => lib.addOperation(b.graph, { type: 'MatMul', name: 'm', inputs: [x], attrs: {} }), /MatMul/);
    assert.throws(() => lib.addOperation(b.graph, { type: 'Identity', name: 'i', inputs: [['missing', 0]] }), /no operation named missing/);
    assert.throws(() => lib.addOperation(b.graph, { type: 'Placeholder', name: 'x', attrs: { dtype: { kind: 'type', value: DType.float32 } } }), /already has/);
    const session = lib.newSession(b.graph, new Uint8Array());
    const short = { dtype: DType.float32, shape: [3, 2], data: new Float32Array(4) } as const;
    assert.throws(() => lib.run(session, b.graph, [[x, short]], [], []), /the shape needs 6/);
    const wrongType = { dtype: DType.float32, shape: [1, 2], data: new Int32Array(2) } as const;
    assert.throws(() => lib.run(session, b.graph, [[x, wrongType]], [], []), /not the typed array of dtype 1/);
    await assert.rejects(lib.run(session, b.graph, [], [x], []), /x/, 'an unfed placeholder fails the run');
    lib.closeSession(session);
    assert.throws(() => lib.run(session, b.graph, [], [x], []), /closed/);
  });

  it('runs off the event loop: timers fire while a long step runs', async () => {
    const b = new GraphBuilder();
    const n = 1200;
    const a = b.constant(new Float32Array(n * n).fill(0.001), [n, n]);
    let product = a;
    for (let i = 0; i < 12; i++) product = b.matmul(product, a);
    const session = b.lib.newSession(b.graph, configProto({ intraOp: 1, interOp: 1 }));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      let finished = false;
      const run = b.lib.run(session, b.graph, [], [b.sum(product, [0, 1])], []).then(() => (finished = true));
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(finished, false, 'the step takes longer than 20 ms');
      assert.ok(ticks > 0, 'the event loop ran timers while the step ran');
      await run;
    } finally {
      clearInterval(timer);
      b.lib.closeSession(session);
    }
  });
});
