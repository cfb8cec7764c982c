/** The seed course's models, as starting points for the editor. */
export const EXAMPLES = {
  iris: {
    label: 'Iris (the seed’s flower classifier)',
    definition: {
      name: 'iris',
      architecture: {
        type: 'sequential',
        layers: [
          { type: 'Dense', units: 8 },
          { type: 'Activation', activation: 'relu' },
          { type: 'Dense', units: 3 },
          { type: 'Activation', activation: 'softmax' },
        ],
      },
      compile: { loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
    },
  },
  mnist: {
    label: 'MNIST (the seed’s digit classifier)',
    definition: {
      name: 'digits',
      architecture: {
        type: 'sequential',
        input_shape: [28, 28],
        layers: [
          { type: 'Rescaling', scale: 1 / 255 },
          { type: 'Flatten' },
          { type: 'Dense', units: 128, activation: 'relu' },
          { type: 'Dense', units: 10, activation: 'softmax' },
        ],
      },
      compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
    },
  },
  cnn: {
    label: 'MNIST CNN (Conv2D, pooling)',
    definition: {
      name: 'digits_cnn',
      architecture: {
        type: 'sequential',
        input_shape: [28, 28],
        layers: [
          { type: 'Reshape', target_shape: [28, 28, 1] },
          { type: 'Rescaling', scale: 1 / 255 },
          { type: 'Conv2D', filters: 8, kernel_size: 3, activation: 'relu' },
          { type: 'MaxPooling2D', pool_size: 2 },
          { type: 'Conv2D', filters: 16, kernel_size: 3, activation: 'relu' },
          { type: 'MaxPooling2D', pool_size: 2 },
          { type: 'Flatten' },
          { type: 'Dense', units: 10, activation: 'softmax' },
        ],
      },
      compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
    },
  },
};

/** What Keras's `model.to_json()` writes: a class name and a config at the top. */
export function isKerasJson(value) {
  return value !== null && typeof value === 'object' && typeof value.class_name === 'string' && typeof value.config === 'object' && !('architecture' in value);
}

/** A pasted `to_json()` as a definition: Keras keeps compile apart from the JSON, so a default stands in for it. */
export function wrapKeras(config) {
  return {
    name: config.config?.name ?? 'keras_model',
    architecture: { type: 'keras', config },
    compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
  };
}
