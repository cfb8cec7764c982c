import { canonicalLoss, graphOf, metricKey, type CompileSpec, type ModelDefinition, type ModelPlan } from '../models/index.js';
import type { Activated } from './activations.js';
import { DType, type Output } from './addon.js';
import { GraphBuilder } from './builder.js';
import { LOWERINGS, regularizerFactors, type LayerArgs, type LayerContext, type RegularizerSpec } from './layers.js';
import { LOSSES, METRICS, type Target } from './losses.js';
import { applyUpdates, resolveOptimizer } from './optimizers.js';
import { cutAt, gradientsThroughSplices, type Splice } from './splices.js';
import { VariableStore } from './variables.js';

/** Whether a definition trains on the graph engine, and if not, what keeps it off: the job names it and trains eagerly. */
export type LowerCheck = { ok: true } | { ok: false; path: string; reason: string };

/**
 * Says whether every layer, argument, the loss, the metrics and the optimizer
 * of a (parsed) definition lower to a training graph.
 */
export function canLower(def: ModelDefinition): LowerCheck {
  if (!def.compile) return { ok: false, path: 'compile', reason: 'the model is not compiled' };
  const graph = graphOf(def);
  for (const node of graph.nodes) {
    const lowering = LOWERINGS.get(node.type);
    if (!lowering) return { ok: false, path: node.path, reason: `${node.type} does not lower to the graph engine yet` };
    const refusal = lowering.refuse?.(node.config as unknown as LayerArgs);
    if (refusal) {
      const path = refusal.argument ? `${node.path}.${refusal.argument}` : node.path;
      return { ok: false, path, reason: `${node.type} "${node.name}": ${refusal.reason}` };
    }
  }
  const loss = canonicalLoss(def.compile.loss);
  if (!LOSSES[loss]) return { ok: false, path: 'compile.loss', reason: `loss ${loss} does not lower to the graph engine yet` };
  for (const [i, metric] of def.compile.metrics.entries()) {
    if (!METRICS[metric]) return { ok: false, path: `compile.metrics[${i}]`, reason: `metric ${metric} does not lower to the graph engine yet` };
  }
  if (!resolveOptimizer(def.compile.optimizer)) {
    const type = typeof def.compile.optimizer === 'string' ? def.compile.optimizer : def.compile.optimizer.type;
    return { ok: false, path: 'compile.optimizer', reason: `optimizer ${type} does not lower to the graph engine yet` };
  }
  return { ok: true };
}

/** A model lowered to one graph: the training step and the inference pass, sharing the variables. */
export interface LoweredModel {
  builder: GraphBuilder;
  store: VariableStore;
  /** Placeholders: the batch's samples and labels, and Adam's 1-based step count. */
  x: Output;
  y: Output;
  iteration: Output;
  /** Runs one optimizer step and the moving-statistics updates. */
  trainStep: string;
  /** The batch's loss and metrics in the training pass, in `logKeys` order. */
  trainFetches: Output[];
  /** The same in the inference pass (validation, evaluation). */
  evalFetches: Output[];
  /** The model's output in the training pass and in the inference pass. */
  trainPrediction: Output;
  prediction: Output;
  /** `loss`, then each metric's Keras history key. */
  logKeys: string[];
  loadWeights: string;
  initSlots: string;
  loadSlots: string;
  convolution: boolean;
}

/**
 * Lowers a checked plan (its shapes known) and its compile spec to a training
 * graph. Call only when `canLower` said yes.
 */
export function lowerModel(plan: ModelPlan, compile: CompileSpec, labelShape: number[], seed = randomSeed()): LoweredModel {
  const optimizer = resolveOptimizer(compile.optimizer);
  if (!optimizer) throw new Error('lowerModel: the optimizer does not lower (check canLower first)');
  const b = new GraphBuilder();
  const store = new VariableStore(b);
  const x = b.placeholder('x', [-1, ...plan.inputShape]);
  const y = b.placeholder('y', [-1, ...labelShape]);
  const iteration = b.placeholder('iteration', []);
  const regularization: Output[] = [];
  const updates: string[] = [];
  const weights = new Map<string, Output>();
  const splices: Splice[] = [];
  let seeds = seed;
  let convolution = false;

  const forward = (training: boolean): Activated =>
    b.scoped(training ? 'train' : 'infer', () => {
      const values = new Map<string, Activated>([[plan.graph.input.name, { out: x }]]);
      for (const node of plan.graph.nodes) {
        const lowering = LOWERINGS.get(node.type);
        if (!lowering) throw new Error(`lowerModel: ${node.type} does not lower`);
        convolution ||= lowering.convolution === true;
        const context: LayerContext = {
          b,
          training,
          inputShapes: node.inputs.map((name) => (name === plan.graph.input.name ? plan.inputShape : plan.shapes.get(name)) as number[]),
          outputShape: plan.shapes.get(node.name) as number[],
          weight: (name, shape, options = {}) => {
            const key = `${node.name}/${name}`;
            const existing = weights.get(key);
            if (existing) return existing;
            const trainable = node.config.trainable && options.trainable !== false;
            const read = store.weight(node.name, name, shape, trainable);
            weights.set(key, read);
            const term = regularizationTerm(b, read, options.regularizer ?? null);
            if (term) regularization.push(term);
            return read;
          },
          update: (op) => updates.push(op),
          assign: (name, value) => {
            const variable = store.weights.find((w) => w.layer === node.name && w.weight === name);
            if (!variable) throw new Error(`lowerModel: ${node.name} has no weight ${name}`);
            return b.op('AssignVariableOp', [variable.handle, value], { dtype: { kind: 'type', value: DType.float32 } }, { name: `assign_${name}` })[0];
          },
          seed: () => (seeds = (seeds * 48271 + 1) % 2147483647),
          // Only the training pass is differentiated.
          splice: (out, inputs) => (training ? cutAt(b, splices, out, inputs) : out),
        };
        const inputs = node.inputs.map((name) => (values.get(name) as Activated).out);
        values.set(node.name, b.scoped(node.name, () => lowering.lower(context, node.config as unknown as LayerArgs, inputs)));
      }
      return values.get(plan.graph.output) as Activated;
    });

  const outputShape = plan.shapes.get(plan.graph.output) as number[];
  const loss = canonicalLoss(compile.loss);
  const lossFn = LOSSES[loss];
  if (!lossFn) throw new Error(`lowerModel: loss ${loss} does not lower`);
  const metricNames = compile.metrics;

  // Keras (and tfjs's fit) bring labels of one value per output to the output's shape: [n] labels for a
  // [n, 1] output would otherwise broadcast to [n, n] in the losses.
  const size = (shape: number[]) => shape.reduce((a, c) => a * c, 1);
  const reshapeLabels = size(labelShape) === size(outputShape) && labelShape.join() !== outputShape.join();
  const labels = reshapeLabels ? b.reshape(y, [-1, ...outputShape]) : y;
  const alignedShape = reshapeLabels ? outputShape : labelShape;

  const objective = (prediction: Activated, scope: string) =>
    b.scoped(scope, () => {
      const target: Target = { prediction, labels, outputShape, labelShape: alignedShape };
      const value = lossFn(b, target);
      const dataLoss = b.meanAll(value.perSample, outputShape.length);
      const total = regularization.length === 0 ? dataLoss : b.add(dataLoss, addAll(b, regularization));
      const metrics = metricNames.map((name) => b.meanAll((METRICS[name] as NonNullable<(typeof METRICS)[string]>)(b, target), outputShape.length));
      return { value, total, metrics };
    });

  const trained = forward(true);
  const train = objective(trained, 'train_loss');
  const trainable = store.weights.filter((w) => w.trainable);
  const gradients = b.scoped('gradients', () => {
    const xs = trainable.map((w) => w.read);
    if (!train.value.splice) return gradientsThroughSplices(b, [train.total], null, xs, splices);
    // The spliced loss: seed its input with d(mean loss)/d input; the regularization reaches the weights on its own.
    const { wrt, gradient } = train.value.splice;
    const seed = b.div(gradient, b.rows(gradient));
    const ys = [wrt, ...(regularization.length ? [addAll(b, regularization)] : [])];
    const dys = [seed, ...(regularization.length ? [b.scalar(1)] : [])];
    return gradientsThroughSplices(b, ys, dys, xs, splices);
  });
  const applies = applyUpdates(b, store, optimizer, trainable, gradients, iteration);
  const trainStep = b.group('train_step', [...applies, ...updates]);

  const inferred = forward(false);
  const evaluation = objective(inferred, 'eval_loss');

  return {
    builder: b,
    store,
    x,
    y,
    iteration,
    trainStep,
    trainFetches: [train.total, ...train.metrics],
    evalFetches: [evaluation.total, ...evaluation.metrics],
    trainPrediction: trained.out,
    prediction: inferred.out,
    logKeys: ['loss', ...metricNames.map(metricKey)],
    loadWeights: store.loadOp(),
    initSlots: store.initSlotsOp(),
    loadSlots: store.loadSlotsOp(),
    convolution,
  };
}

function addAll(b: GraphBuilder, terms: Output[]): Output {
  return terms.length === 1 ? (terms[0] as Output) : b.op('AddN', [terms], { T: { kind: 'type', value: DType.float32 }, N: { kind: 'int', value: terms.length } });
}

/** Keras's L1/L2 penalty: l1·Σ|w| + l2·Σw². */
function regularizationTerm(b: GraphBuilder, weight: Output, spec: RegularizerSpec): Output | null {
  const factors = regularizerFactors(spec);
  if (!factors || (factors.l1 === 0 && factors.l2 === 0)) return null;
  return b.scoped('regularizer', () => {
    const all = (x: Output) => b.f('Sum', [b.reshape(x, [-1]), b.ints([0])], { keep_dims: { kind: 'bool', value: false }, Tidx: { kind: 'type', value: DType.int32 } });
    const terms: Output[] = [];
    if (factors.l1) terms.push(b.mul(b.scalar(factors.l1), all(b.abs(weight))));
    if (factors.l2) terms.push(b.mul(b.scalar(factors.l2), all(b.square(weight))));
    return addAll(b, terms);
  });
}

function randomSeed(): number {
  return 1 + Math.floor(Math.random() * 2147483646);
}
