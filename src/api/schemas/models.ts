import { z } from 'zod';
import { documentedAs } from '../../documented.js';
import { ModelDefinitionSchema } from '../../models/index.js';
import { ModelRecordSchema, VersionRecordSchema } from '../../registry/records.js';
import { MAX_NAME_LENGTH, OpaqueObjectSchema } from './common.js';

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

/** A stored model as clients see it; definition and summary are returned as stored, and documented by the schemas that wrote them. */
export const ModelSchema = ModelRecordSchema.extend({
  definition: documentedAs(OpaqueObjectSchema, 'StoredModelDefinition'),
  summary: documentedAs(OpaqueObjectSchema, 'ModelSummary').nullable(),
});
export const ModelListSchema = z.object({ models: z.array(ModelSchema) });

export const VersionParamsSchema = z.object({
  model: z.string().min(1).describe('model id or unique name'),
  version: z.coerce.number().int().positive(),
});
/** A trained version without its storage key: its files are served under .../artifact. */
export const VersionSchema = VersionRecordSchema.omit({ artifact: true }).extend({
  summary: documentedAs(OpaqueObjectSchema, 'ModelSummary'),
  preprocessing: documentedAs(OpaqueObjectSchema, 'PreprocessingState').nullable(),
});
export const VersionListSchema = z.object({ versions: z.array(VersionSchema) });
