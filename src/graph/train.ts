import * as tf from '@tensorflow/tfjs';
import { rowCount, sampleSize, type NDArray } from '../datasets/types.js';
import { ValidationError } from '../errors.js';
import { buildModel, canonicalLoss, checkLabels, planModel, summarize } from '../models/index.js';
import { lastLogs, restoreWeights, saveWeights, type SavedTensor, type TrainingCheckpoint } from '../worker/checkpoint.js';
import { EarlyStopping } from '../worker/early-stopping.js';
import { outputShapeOf, prepareData, type TrainInput, type TrainResult } from '../worker/train.js';
import { seededRandom } from '../seeded-random.js';
import { canLower, lowerModel, type LoweredModel } from './lower.js';
import { GraphSession, tensor } from './session.js';
import { threadsFor, type SessionThreads } from './session-config.js';

export interface GraphTrainOptions {
  /** Overrides the measured rule (one thread for dense models, every core for convolutions). */
  threads?: SessionThreads;
  /** Seeds the graph's random ops (Dropout) and the shuffle; random when left out. */
  seed?: number;
}

/**
 * `train` (src/worker/train.ts) on the graph engine: the same input and
 * result, Keras's fit semantics, the step run as one TensorFlow graph. The
 * initial weights are the tfjs model's (so Keras's initializers are the
 * builder's), and the trained weights go back into it, so the artifact,
 * predict and inspect behave as for the eager engine. Call when
 * `canLower(definition)` says yes.
 */
export async function trainOnGraph(input: TrainInput, options: GraphTrainOptions = {}): Promise<TrainResult> {
  const { fit, definition } = input;
  const lowers = canLower(definition);
  if (!lowers.ok) throw new Error(`the model does not lower to the graph engine: ${lowers.path}: ${lowers.reason}`);
  const compile = definition.compile;
  if (!compile) throw new Error('canLower accepted an uncompiled model');

  const prepared = prepareData(input);
  const { preprocessing, validation, inputShape } = prepared;
  const xTrain = floats(prepared.x);
  const yTrain = floats(prepared.y);
  const plan = planModel(definition, input.limits, inputShape);
  if (!plan) throw new Error('the input shape is known from the data');

  const model = buildModel(definition, input.limits, inputShape);
  let session: GraphSession | undefined;
  try {
    checkLabels(canonicalLoss(compile.loss), outputShapeOf(model).at(-1), yTrain);
    const lowered = lowerModel(plan, compile, yTrain.shape.slice(1), options.seed);
    session = new GraphSession(lowered, options.threads ?? threadsFor(lowered.convolution));
    const { resume } = input;
    if (resume) restoreWeights(model, resume.weights);
    await session.loadWeights(weightsOf(model, lowered));
    // Adam's bias correction reads the step count: it goes on only with the slots it belongs to.
    let iteration = resume ? await restoreSlots(session, resume) : 0;

    const validationData = validation ? { x: floats(validation.x), y: floats(validation.y) } : undefined;
    const history = structuredClone(resume?.history ?? {});
    let metrics = lastLogs(history);
    let epochsRun = resume?.epoch ?? 0;
    let cancelled = false;
    const earlyStopping = input.earlyStopping ? new EarlyStopping(input.earlyStopping) : undefined;
    if (resume?.earlyStopping) earlyStopping?.restore(resume.earlyStopping);
    // With restore_best_weights the tfjs model follows every epoch, so EarlyStopping keeps and restores its weights.
    const follow = input.earlyStopping?.restore_best_weights === true;
    const batches = new Batches(xTrain, yTrain, fit.batch_size, options.seed);

    try {
      for (let epoch = epochsRun; epoch < fit.epochs && !cancelled; epoch++) {
        const sums = new Float64Array(lowered.logKeys.length);
        let seen = 0;
        for (const batch of batches.epoch(fit.shuffle)) {
          iteration += 1;
          const values = await session.run(
            [
              [lowered.x, batch.x],
              [lowered.y, batch.y],
              [lowered.iteration, tensor(Float32Array.of(iteration), [])],
            ],
            lowered.trainFetches,
            [lowered.trainStep],
          );
          values.forEach((value, i) => (sums[i] = (sums[i] as number) + (value.data[0] as number) * batch.size));
          seen += batch.size;
          if (input.shouldStop?.()) {
            cancelled = true;
            break;
          }
        }
        // A cancel mid-epoch leaves half an epoch, without validation: not an epoch to report.
        if (cancelled) break;
        const logs: Record<string, number> = {};
        lowered.logKeys.forEach((key, i) => (logs[key] = (sums[i] as number) / seen));
        if (validationData) {
          const val = await evaluate(session, lowered, validationData.x, validationData.y, fit.batch_size);
          lowered.logKeys.forEach((key, i) => (logs[`val_${key}`] = val[i] as number));
        }
        for (const [key, value] of Object.entries(logs)) (history[key] ??= []).push(value);
        metrics = logs;
        epochsRun = epoch + 1;
        if (follow) setWeights(model, lowered, await session.fetchWeights());
        earlyStopping?.onEpochEnd(model, epoch, logs);
        const reply = await input.onEpoch?.(epoch, logs);
        if (reply?.checkpoint) {
          if (!follow) setWeights(model, lowered, await session.fetchWeights());
          await input.onCheckpoint?.({
            epoch: epoch + 1,
            engine: 'graph',
            history: structuredClone(history),
            weights: saveWeights(model),
            optimizer: await saveSlots(session, iteration),
            earlyStopping: earlyStopping?.state ?? null,
          });
        }
        if (earlyStopping?.stopped) break;
      }
      if (!(follow && earlyStopping?.stopped)) setWeights(model, lowered, await session.fetchWeights());
    } finally {
      earlyStopping?.dispose();
    }

    return {
      model,
      history,
      metrics,
      preprocessing,
      summary: summarize(model),
      inputShape,
      outputShape: outputShapeOf(model),
      epochsRun,
      outcome: cancelled ? 'cancelled' : earlyStopping?.stopped ? 'early_stopped' : 'completed',
    };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    session?.close();
  }
}

const ITERATION = 'iteration';

/** The optimizer's state on the graph engine: the step count, then every slot in `store.slots` order. */
async function saveSlots(session: GraphSession, iteration: number): Promise<SavedTensor[]> {
  const values = await session.fetchSlots();
  const slots = session.model.store.slots.map((slot, i): SavedTensor => ({ name: slot.name, dtype: 'float32', shape: slot.shape, data: values[i] as Float32Array }));
  return [{ name: ITERATION, dtype: 'int32', shape: [], data: Int32Array.of(iteration) }, ...slots];
}

/**
 * Sets the slots a graph-engine checkpoint saved and returns its step count;
 * a checkpoint of the other engine, or of slots that differ, leaves them at
 * their starting values and the count at 0, as a fresh optimizer.
 */
async function restoreSlots(session: GraphSession, checkpoint: TrainingCheckpoint): Promise<number> {
  const [count, ...saved] = checkpoint.optimizer ?? [];
  const slots = session.model.store.slots;
  const fits =
    checkpoint.engine === 'graph' &&
    count?.name === ITERATION &&
    saved.length === slots.length &&
    slots.every((slot, i) => saved[i]?.name === slot.name && saved[i].shape.join() === slot.shape.join());
  if (!fits) return 0;
  await session.loadSlots(saved.map((tensor) => Float32Array.from(tensor.data)));
  return count.data[0] ?? 0;
}

/** The loss and metrics over a whole dataset in the inference pass, averaged over samples as Keras does. */
async function evaluate(session: GraphSession, lowered: LoweredModel, x: NDArray, y: NDArray, batchSize: number): Promise<number[]> {
  const n = rowCount(x);
  const xSize = sampleSize(x);
  const ySize = sampleSize(y);
  const sums = new Float64Array(lowered.logKeys.length);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const values = await session.run(
      [
        [lowered.x, tensor((x.data as Float32Array).subarray(start * xSize, end * xSize), [end - start, ...x.shape.slice(1)])],
        [lowered.y, tensor((y.data as Float32Array).subarray(start * ySize, end * ySize), [end - start, ...y.shape.slice(1)])],
      ],
      lowered.evalFetches,
    );
    values.forEach((value, i) => (sums[i] = (sums[i] as number) + (value.data[0] as number) * (end - start)));
  }
  return [...sums].map((sum) => sum / n);
}

/** The batches of one epoch, gathered into buffers reused from batch to batch. */
class Batches {
  private readonly n: number;
  private readonly xSize: number;
  private readonly ySize: number;
  private readonly xBuffer: Float32Array;
  private readonly yBuffer: Float32Array;
  private readonly order: Uint32Array;
  private readonly random: () => number;

  constructor(
    private readonly x: NDArray,
    private readonly y: NDArray,
    private readonly batchSize: number,
    seed: number | undefined,
  ) {
    this.n = rowCount(x);
    this.xSize = sampleSize(x);
    this.ySize = sampleSize(y);
    const rows = Math.min(batchSize, this.n);
    this.xBuffer = new Float32Array(rows * this.xSize);
    this.yBuffer = new Float32Array(rows * this.ySize);
    this.order = Uint32Array.from({ length: this.n }, (_, i) => i);
    this.random = seed === undefined ? Math.random : seededRandom(seed);
  }

  *epoch(shuffle: boolean) {
    if (shuffle) {
      for (let i = this.n - 1; i > 0; i--) {
        const j = Math.floor(this.random() * (i + 1));
        const swap = this.order[i] as number;
        this.order[i] = this.order[j] as number;
        this.order[j] = swap;
      }
    }
    const xData = this.x.data as Float32Array;
    const yData = this.y.data as Float32Array;
    for (let start = 0; start < this.n; start += this.batchSize) {
      const size = Math.min(this.batchSize, this.n - start);
      for (let r = 0; r < size; r++) {
        const row = this.order[start + r] as number;
        this.xBuffer.set(xData.subarray(row * this.xSize, (row + 1) * this.xSize), r * this.xSize);
        this.yBuffer.set(yData.subarray(row * this.ySize, (row + 1) * this.ySize), r * this.ySize);
      }
      yield {
        size,
        x: tensor(this.xBuffer.subarray(0, size * this.xSize), [size, ...this.x.shape.slice(1)]),
        y: tensor(this.yBuffer.subarray(0, size * this.ySize), [size, ...this.y.shape.slice(1)]),
      };
    }
  }
}

// float32 throughout, as Keras casts inputs and targets to the model's float dtype.
function floats(array: NDArray): NDArray {
  return array.data instanceof Float32Array ? array : { ...array, data: Float32Array.from(array.data), dtype: 'float32' };
}

/** tfjs's weights of a layer by their Keras names: `dense_1/kernel` → `kernel`. */
function layerWeights(model: tf.LayersModel, layer: string): Map<string, tf.LayerVariable> {
  const weights = new Map<string, tf.LayerVariable>();
  for (const weight of model.getLayer(layer).weights) weights.set(weight.originalName.split('/').at(-1) as string, weight);
  return weights;
}

function tfjsWeight(model: tf.LayersModel, layer: string, name: string): tf.LayerVariable {
  const weight = layerWeights(model, layer).get(name);
  if (!weight) throw new ValidationError(`the graph engine expected a weight ${name} in layer ${layer}`);
  return weight;
}

/** The tfjs model's weights in the order of the graph's variables. */
function weightsOf(model: tf.LayersModel, lowered: LoweredModel): Float32Array[] {
  return lowered.store.weights.map((w) => {
    const weight = tfjsWeight(model, w.layer, w.weight);
    if (weight.shape.join() !== w.shape.join()) {
      throw new Error(`weight ${w.layer}/${w.weight}: the graph has [${w.shape}], tfjs [${weight.shape}]`);
    }
    return weight.read().dataSync() as Float32Array;
  });
}

/** Writes the graph's weights into the tfjs model, layer by layer. */
function setWeights(model: tf.LayersModel, lowered: LoweredModel, values: readonly Float32Array[]): void {
  tf.tidy(() => {
    const byLayer = new Map<string, Map<string, Float32Array>>();
    lowered.store.weights.forEach((w, i) => {
      const layer = byLayer.get(w.layer) ?? new Map<string, Float32Array>();
      layer.set(w.weight, values[i] as Float32Array);
      byLayer.set(w.layer, layer);
    });
    for (const [name, graphValues] of byLayer) {
      const layer = model.getLayer(name);
      layer.setWeights(
        layer.weights.map((weight) => {
          const value = graphValues.get(weight.originalName.split('/').at(-1) as string);
          if (!value) throw new Error(`the graph has no value for ${weight.originalName}`);
          return tf.tensor(value, weight.shape as number[], 'float32');
        }),
      );
    }
  });
}
