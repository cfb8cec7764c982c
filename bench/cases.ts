import type { Sizes } from './sizes.js';

/** A layer as the service takes it and Keras names it: `type` is the Keras class, the rest its arguments. */
export interface LayerSpec {
  type: string;
  [argument: string]: unknown;
}

export type DataSpec =
  | { kind: 'builtin'; builtin: 'iris' | 'mnist'; split: 'train' | 'test'; limit?: number | undefined }
  | { kind: 'csv'; path: string; target: string };

/** One seed example, defined once and trained the same way by the service, the tfjs script and Keras. */
export interface CaseSpec {
  name: string;
  description: string;
  /** Given to the service only where the seed gives it; the scripts take it from the data. */
  inputShape: number[] | null;
  layers: LayerSpec[];
  compile: { optimizer: 'rmsprop' | 'adam'; loss: string; metrics: string[] };
  fit: { epochs: number; batch_size: number; validation_split: number };
  /** StandardScaler fitted on the training part (the service's `preprocessing.standardize`). */
  standardize: boolean;
  data: DataSpec;
}

export const CASE_NAMES = ['iris', 'mnist_mlp', 'mnist_cnn', 'california_housing'] as const;

const CLASSIFY = { loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] };

export function irisCase(sizes: Sizes): CaseSpec {
  return {
    name: 'iris',
    description: `Iris: Dense 8, relu, Dense 3, softmax; rmsprop; ${sizes.iris.epochs} epochs, batch 32, validation_split 0.1`,
    inputShape: null,
    layers: [
      { type: 'Dense', units: 8 },
      { type: 'Activation', activation: 'relu' },
      { type: 'Dense', units: 3 },
      { type: 'Activation', activation: 'softmax' },
    ],
    compile: { optimizer: 'rmsprop', ...CLASSIFY },
    fit: { epochs: sizes.iris.epochs, batch_size: 32, validation_split: 0.1 },
    standardize: false,
    data: { kind: 'builtin', builtin: 'iris', split: 'train' },
  };
}

export function mnistMlpCase(sizes: Sizes): CaseSpec {
  const { limit, epochs } = sizes.mnistMlp;
  return {
    name: 'mnist_mlp',
    description: `MNIST MLP: Rescaling 1/255, Flatten, Dense 128 relu, Dense 10 softmax; rmsprop; ${epochs} epochs, batch 32, validation_split 0.1, ${limit ?? 'all 60,000'} images`,
    inputShape: [28, 28],
    layers: [
      { type: 'Rescaling', scale: 1 / 255 },
      { type: 'Flatten' },
      { type: 'Dense', units: 128, activation: 'relu' },
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
    compile: { optimizer: 'rmsprop', ...CLASSIFY },
    fit: { epochs, batch_size: 32, validation_split: 0.1 },
    standardize: false,
    data: { kind: 'builtin', builtin: 'mnist', split: 'train', limit },
  };
}

export function mnistCnnCase(sizes: Sizes): CaseSpec {
  const { limit, epochs } = sizes.mnistCnn;
  return {
    name: 'mnist_cnn',
    description: `MNIST CNN: Rescaling 1/255, Reshape 28x28x1, Conv 32, pool, Conv 64, pool, Flatten, Dropout 0.5, Dense 10; adam; ${epochs} epoch, batch 128, validation_split 0.1, ${limit ?? 'all 60,000'} images`,
    inputShape: [28, 28],
    layers: [
      { type: 'Rescaling', scale: 1 / 255 },
      { type: 'Reshape', target_shape: [28, 28, 1] },
      { type: 'Conv2D', filters: 32, kernel_size: [3, 3], activation: 'relu' },
      { type: 'MaxPooling2D', pool_size: [2, 2] },
      { type: 'Conv2D', filters: 64, kernel_size: [3, 3], activation: 'relu' },
      { type: 'MaxPooling2D', pool_size: [2, 2] },
      { type: 'Flatten' },
      { type: 'Dropout', rate: 0.5 },
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
    compile: { optimizer: 'adam', ...CLASSIFY },
    fit: { epochs, batch_size: 128, validation_split: 0.1 },
    standardize: false,
    data: { kind: 'builtin', builtin: 'mnist', split: 'train', limit },
  };
}

/** `csvPath` is the file the service uploads and the scripts read; `target` a column of its header. */
export function housingCase(sizes: Sizes, csvPath: string, target: string, rows: number): CaseSpec {
  const { epochs } = sizes.housing;
  return {
    name: 'california_housing',
    description: `California housing: StandardScaler; Dense 16 relu, Dropout 0.1, Dense 16 relu, Dropout 0.1, Dense 1; MSE; rmsprop; ${epochs} epochs, batch 32, validation_split 0.25, ${rows} rows`,
    inputShape: null,
    layers: [
      { type: 'Dense', units: 16, activation: 'relu' },
      { type: 'Dropout', rate: 0.1 },
      { type: 'Dense', units: 16, activation: 'relu' },
      { type: 'Dropout', rate: 0.1 },
      { type: 'Dense', units: 1 },
    ],
    compile: { optimizer: 'rmsprop', loss: 'mse', metrics: [] },
    fit: { epochs, batch_size: 32, validation_split: 0.25 },
    standardize: true,
    data: { kind: 'csv', path: csvPath, target },
  };
}
