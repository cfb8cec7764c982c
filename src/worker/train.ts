import * as tf from '@tensorflow/tfjs';
import type { Dataset, NDArray } from '../datasets/types.js';
import { splitValidation } from '../datasets/split.js';
import { fitPreprocessing, transformX, transformY, type PreprocessingSpec, type PreprocessingState } from '../datasets/preprocessing.js';
import { ValidationError } from '../errors.js';
import { checkLabels } from '../models/labels.js';
import { buildModel, canonicalLoss, summarize, toKerasLogs, type ModelDefinition, type ModelLimits, type ModelSummary } from '../models/index.js';
import { lastLogs, restoreOptimizer, restoreWeights, saveOptimizer, saveWeights, type TrainingCheckpoint } from './checkpoint.js';
import { EarlyStopping } from './early-stopping.js';
import type { EarlyStoppingSpec, FitSpec } from '../jobs/contract.js';

export interface TrainInput {
  definition: ModelDefinition;
  dataset: Dataset;
  fit: FitSpec;
  preprocessing?: PreprocessingSpec | undefined;
  earlyStopping?: EarlyStoppingSpec | undefined;
  limits: ModelLimits;
  /** Called after every epoch with Keras-named logs; training waits for it, and saves a checkpoint when it answers `checkpoint: true`. */
  onEpoch?: (epoch: number, logs: Record<string, number>) => Promise<EpochReply | void> | EpochReply | void;
  /** Takes the checkpoint an epoch asked for; training waits for it. */
  onCheckpoint?: (checkpoint: TrainingCheckpoint) => Promise<void> | void;
  /** An earlier attempt's checkpoint: training goes on from its epoch, with its weights and history. */
  resume?: TrainingCheckpoint | undefined;
  /** Polled after every batch; true stops training there (Keras's `model.stop_training`). */
  shouldStop?: () => boolean;
}

export interface EpochReply {
  checkpoint?: boolean;
}

export interface TrainResult {
  /** The trained model; the caller owns it and disposes it. */
  model: tf.LayersModel;
  history: Record<string, number[]>;
  /** The last epoch's logs. */
  metrics: Record<string, number>;
  preprocessing: PreprocessingState;
  summary: ModelSummary;
  inputShape: number[];
  outputShape: (number | null)[];
  epochsRun: number;
  outcome: 'completed' | 'early_stopped' | 'cancelled';
}

/**
 * One `model.fit`, with Keras's semantics: `validation_split` takes the last
 * fraction of the samples before shuffling; preprocessing is fitted on the
 * training part only; history and logs use Keras's names.
 */
export async function train(input: TrainInput): Promise<TrainResult> {
  const { fit } = input;
  const { preprocessing, x: xTrain, y: yTrain, validation, inputShape } = prepareData(input);

  const model = buildModel(input.definition, input.limits, inputShape);
  const tensors: tf.Tensor[] = [];
  try {
    const loss = input.definition.compile ? canonicalLoss(input.definition.compile.loss) : undefined;
    checkLabels(loss, outputShapeOf(model).at(-1), yTrain);
    const x = toTensor(xTrain, tensors);
    const y = toTensor(yTrain, tensors);
    const validationData = validation ? ([toTensor(validation.x, tensors), toTensor(validation.y, tensors)] as [tf.Tensor, tf.Tensor]) : undefined;

    const { resume } = input;
    const history = structuredClone(resume?.history ?? {});
    let metrics = lastLogs(history);
    let epochsRun = resume?.epoch ?? 0;
    let cancelled = false;
    const earlyStopping = input.earlyStopping ? new EarlyStopping(input.earlyStopping) : undefined;
    if (resume) {
      restoreWeights(model, resume.weights);
      // Another engine's optimizer state does not fit tfjs's: the optimizer then starts afresh.
      if (resume.engine === 'eager' && resume.optimizer) await restoreOptimizer(model.optimizer, resume.optimizer);
      if (resume.earlyStopping) earlyStopping?.restore(resume.earlyStopping);
    }

    const perEpoch = new tf.CustomCallback(
      {
        onEpochEnd: async (epoch, logs) => {
          // A cancel mid-epoch leaves half an epoch, without validation: not an epoch to report.
          if (cancelled) return;
          const keras = toKerasLogs(numericLogs(logs), input.definition.compile);
          for (const [key, value] of Object.entries(keras)) (history[key] ??= []).push(value);
          metrics = keras;
          epochsRun = epoch + 1;
          earlyStopping?.onEpochEnd(model, epoch, keras);
          const reply = await input.onEpoch?.(epoch, keras);
          if (reply?.checkpoint) {
            await input.onCheckpoint?.({
              epoch: epoch + 1,
              engine: 'eager',
              history: structuredClone(history),
              weights: saveWeights(model),
              optimizer: await saveOptimizer(model.optimizer),
              earlyStopping: earlyStopping?.state ?? null,
            });
          }
        },
      },
      'auto',
    );
    const stopCheck = new StopCheck(() => {
      if (input.shouldStop?.()) cancelled = true;
      return cancelled;
    });

    await model.fit(x, y, {
      epochs: fit.epochs,
      initialEpoch: epochsRun,
      batchSize: fit.batch_size,
      shuffle: fit.shuffle,
      validationData,
      verbose: 0,
      callbacks: [perEpoch, stopCheck],
    });
    earlyStopping?.dispose();

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
    for (const tensor of tensors) tensor.dispose();
  }
}

/** Checks the stop flag after every batch without reading the batch's logs back from the backend. */
class StopCheck extends tf.Callback {
  constructor(private readonly stop: () => boolean) {
    super();
  }

  override async onBatchEnd(): Promise<void> {
    if (this.stop()) this.model.stopTraining = true;
  }
}

// float32 throughout, as Keras casts inputs and targets to the model's float dtype.
function toTensor(array: NDArray, keep: tf.Tensor[]): tf.Tensor {
  const data = array.data instanceof Float32Array ? array.data : Float32Array.from(array.data);
  const tensor = tf.tensor(data, array.shape, 'float32');
  keep.push(tensor);
  return tensor;
}

function numericLogs(logs: tf.Logs | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(logs ?? {})) if (typeof value === 'number') out[key] = value;
  return out;
}

/** The data as both engines fit it: the training part and the held-out last fraction, preprocessed. */
export interface PreparedData {
  preprocessing: PreprocessingState;
  x: NDArray;
  y: NDArray;
  validation: { x: NDArray; y: NDArray } | undefined;
  inputShape: number[];
}

/**
 * Keras's `validation_split` (the last fraction, taken before shuffling), then
 * preprocessing fitted on the training part only and applied to both parts.
 */
export function prepareData(input: Pick<TrainInput, 'dataset' | 'fit' | 'preprocessing'>): PreparedData {
  const { train: trainPart, validation } = splitValidation(input.dataset, input.fit.validation_split);
  const preprocessing = fitPreprocessing(input.preprocessing, trainPart, input.dataset.classNames?.length);
  const x = transformX(preprocessing, trainPart.x);
  return {
    preprocessing,
    x,
    y: transformY(preprocessing, trainPart.y),
    validation: validation ? { x: transformX(preprocessing, validation.x), y: transformY(preprocessing, validation.y) } : undefined,
    inputShape: x.shape.slice(1),
  };
}

export function outputShapeOf(model: tf.LayersModel): (number | null)[] {
  const shape = model.outputs[0]?.shape;
  if (!shape) throw new ValidationError('the model has no output');
  return shape.slice(1);
}
