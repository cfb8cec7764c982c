import * as tf from '@tensorflow/tfjs';
import { ValidationError } from '../errors.js';
import type { ModelDefinition } from './definition/schema.js';
import type { ModelLimits } from './graph/limits.js';
import { planModel, type ModelPlan } from './graph/plan.js';
import type { GraphNode } from './graph/types.js';
import { entryOf } from './catalogue.js';
import { compileModel } from './compile/compile.js';
import type { BaseArgs } from './layers/define.js';
import type { SampleShape } from './layers/shape.js';

/**
 * Checks the definition, then builds it with tf.sequential / tf.model and
 * compiles it per `def.compile` (uncompiled when there is none).
 * `inputShape` (per sample) is required when the definition leaves it out.
 */
export function buildModel(def: ModelDefinition, limits: ModelLimits, inputShape?: number[]): tf.LayersModel {
  const plan = planModel(def, limits, inputShape);
  if (!plan) {
    throw ValidationError.at(
      'architecture.input_shape',
      'the input shape is not known: give input_shape, or train on data so that it is taken from there',
    );
  }
  const created: tf.layers.Layer[] = [];
  try {
    const model = plan.graph.kind === 'sequential' ? sequential(plan, created) : functional(plan, created);
    if (def.compile) compileModel(model, def.compile);
    releaseDropoutMasksOnDispose(model);
    return model;
  } catch (error) {
    for (const layer of created) for (const weight of layer.weights) weight.dispose();
    throw error;
  }
}

/**
 * tfjs's LSTM and GRU cells keep their last dropout masks until their next
 * call, and `model.dispose()` leaves them: a worker would leak them per job.
 */
function releaseDropoutMasksOnDispose(model: tf.LayersModel): void {
  const cells = model.layers
    .map((layer) => (layer as unknown as { cell?: Record<string, unknown> }).cell)
    .filter((cell): cell is Record<string, unknown> => cell !== undefined);
  if (cells.length === 0) return;
  const dispose = model.dispose.bind(model);
  model.dispose = () => {
    for (const cell of cells) {
      for (const key of ['dropoutMask', 'recurrentDropoutMask']) {
        tf.dispose((cell[key] ?? []) as tf.Tensor | tf.Tensor[]);
        cell[key] = null;
      }
    }
    return dispose();
  };
}

function sequential(plan: ModelPlan, created: tf.layers.Layer[]): tf.LayersModel {
  const model = tf.sequential();
  plan.graph.nodes.forEach((node, i) => {
    guarded(node, () => {
      const layer = createLayer(plan, node, i === 0 ? { inputShape: plan.inputShape } : {});
      created.push(layer);
      model.add(layer);
    });
  });
  return model;
}

function functional(plan: ModelPlan, created: tf.layers.Layer[]): tf.LayersModel {
  const { input: spec } = plan.graph;
  const inputLayer = entryOf('InputLayer').create(
    { type: 'InputLayer', shape: plan.inputShape },
    { name: spec.name, trainable: true },
    plan.inputShape,
  );
  const input = inputLayer.output as tf.SymbolicTensor;
  const tensors = new Map<string, tf.SymbolicTensor>([[spec.name, input]]);
  for (const node of plan.graph.nodes) {
    guarded(node, () => {
      const layer = createLayer(plan, node, {});
      created.push(layer);
      const inputs = node.inputs.map((name) => tensors.get(name) as tf.SymbolicTensor);
      const output = layer.apply(node.entry.merge ? inputs : (inputs[0] as tf.SymbolicTensor));
      tensors.set(node.name, output as tf.SymbolicTensor);
    });
  }
  return tf.model({ inputs: input, outputs: tensors.get(plan.graph.output) as tf.SymbolicTensor });
}

function createLayer(plan: ModelPlan, node: GraphNode, extra: Pick<BaseArgs, 'inputShape'>): tf.layers.Layer {
  const base = { name: node.name, trainable: node.config.trainable, ...extra };
  return node.entry.create(node.config, base, plan.shapes.get(node.name) as SampleShape);
}

/**
 * Builds one layer inside tf.tidy, which keeps the new weights (variables)
 * and frees what tfjs's initializers leave behind (LSTM's unit_forget_bias
 * leaks four tensors otherwise). The checker should have refused anything
 * tfjs refuses; if tfjs still objects, the client hears which layer and why
 * rather than a server error.
 */
function guarded(node: GraphNode, build: () => void): void {
  try {
    tf.tidy(build);
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw ValidationError.at(node.path, `TensorFlow.js cannot build ${node.type} "${node.name}": ${reason}`);
  }
}
