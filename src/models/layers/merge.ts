import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ValidationError, joinPath } from '../../errors.js';
import { baseKeys, defineLayer } from './define.js';
import { formatKerasShape, sampleAxis, type SampleShape } from './shape.js';

function shapesOf(inputs: SampleShape[]): string {
  return inputs.map(formatKerasShape).join(', ');
}

function atLeastTwo(type: string, inputs: SampleShape[], path: string): void {
  if (inputs.length < 2) {
    throw ValidationError.at(joinPath(path, 'inputs'), `${type} merges at least 2 inputs, found ${inputs.length}`);
  }
}

export const Concatenate = defineLayer({
  merge: true,
  schema: z.strictObject({
    type: z.literal('Concatenate'),
    ...baseKeys,
    axis: z.number().int().default(-1),
  }),
  infer: (config, inputs, path) => {
    atLeastTwo('Concatenate', inputs, path);
    const [first] = inputs as [SampleShape, ...SampleShape[]];
    const rank = first.length;
    const mismatch = () =>
      ValidationError.at(
        path,
        `Concatenate along axis ${config.axis} expects inputs whose shapes match except along that axis, found ${shapesOf(inputs)}`,
      );
    if (inputs.some((shape) => shape.length !== rank)) throw mismatch();
    const axis = sampleAxis(config.axis, rank, joinPath(path, 'axis'), 'Concatenate');
    for (const shape of inputs) {
      if (shape.some((d, i) => i !== axis && d !== first[i])) throw mismatch();
    }
    const shape = [...first];
    shape[axis] = inputs.reduce((sum, s) => sum + (s[axis] as number), 0);
    return { shape, params: 0 };
  },
  create: (config, base) => tf.layers.concatenate({ ...base, axis: config.axis }),
});

export const Add = defineLayer({
  merge: true,
  schema: z.strictObject({
    type: z.literal('Add'),
    ...baseKeys,
  }),
  infer: (_config, inputs, path) => {
    atLeastTwo('Add', inputs, path);
    const [first] = inputs as [SampleShape, ...SampleShape[]];
    // Keras's element-wise rule: equal sizes, or 1 broadcast against the other.
    const shape = [...first];
    for (const other of inputs.slice(1)) {
      const compatible =
        other.length === shape.length && other.every((d, i) => d === shape[i] || d === 1 || shape[i] === 1);
      if (!compatible) {
        throw ValidationError.at(path, `Add expects inputs of the same shape, found ${shapesOf(inputs)}`);
      }
      other.forEach((d, i) => {
        if (d !== 1) shape[i] = d;
      });
    }
    return { shape, params: 0 };
  },
  create: (_config, base) => tf.layers.add(base),
});
