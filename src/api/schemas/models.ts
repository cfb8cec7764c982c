import { z } from 'zod';
import { MAX_NAME_LENGTH } from './common.js';
import { ModelDefinitionSchema } from '../../models/index.js';
import { ModelRecordSchema, VersionRecordSchema } from '../../registry/records.js';

export const IRIS_EXAMPLE = {
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
};

export const CreateModelSchema = ModelDefinitionSchema.and(z.object({ name: z.string().min(1).max(MAX_NAME_LENGTH) })).meta({
  examples: [IRIS_EXAMPLE],
});

export const ModelSchema = ModelRecordSchema;
export const ModelListSchema = z.object({ models: z.array(ModelRecordSchema) });

export const VersionParamsSchema = z.object({
  model: z.string().min(1).describe('model id or unique name'),
  version: z.coerce.number().int().positive(),
});
export const VersionSchema = VersionRecordSchema;
export const VersionListSchema = z.object({ versions: z.array(VersionRecordSchema) });
