import { IRIS_EXAMPLE } from '../../src/api/schemas/models.js';

/** The seed's Iris model, without an input shape: Keras takes it from the data at the first fit. */
export const IRIS = IRIS_EXAMPLE;

/** The seed's three new flowers; the first is a setosa. */
export const NEW_FLOWERS = [
  [5.3, 3.4, 1.9, 0.6],
  [6.0, 3.0, 4.7, 1.5],
  [6.5, 3.1, 5.0, 1.7],
];

/** The seed's MNIST digit model: Rescaling 1/255, Flatten, Dense relu, Dense 10 softmax. */
export function digitsModel(name: string, hiddenUnits = 128) {
  return {
    name,
    architecture: {
      type: 'sequential',
      input_shape: [28, 28],
      layers: [
        { type: 'Rescaling', scale: 1 / 255 },
        { type: 'Flatten' },
        { type: 'Dense', units: hiddenUnits, activation: 'relu' },
        { type: 'Dense', units: 10, activation: 'softmax' },
      ],
    },
    compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
  };
}
