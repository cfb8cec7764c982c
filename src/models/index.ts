export {
  ModelDefinitionSchema,
  ResolvedModelDefinitionSchema,
  ArchitectureSchema,
  SequentialArchitectureSchema,
  FunctionalArchitectureSchema,
  KerasArchitectureSchema,
  parseModelDefinition,
  type ModelDefinition,
  type SequentialArchitecture,
  type FunctionalArchitecture,
} from './schema.js';
export {
  CompileSchema,
  OptimizerSchema,
  LossSchema,
  MetricSchema,
  canonicalLoss,
  compileModel,
  createOptimizer,
  metricKey,
  toKerasLogs,
  type CompileSpec,
  type OptimizerSpec,
} from './compile.js';
export { checkModel, inputShapeOf, type ModelLimits } from './check.js';
export { buildModel } from './build.js';
export { summarize, type LayerSummary, type ModelSummary } from './summary.js';
export { CATALOGUE, LAYER_TYPES } from './catalogue.js';
export { ActivationSchema, type ActivationName } from './activations.js';
export { FunctionalLayerSchema, SequentialLayerSchema } from './catalogue.js';
export { BatchShapeSchema, SampleShapeSchema, type SampleShape } from './layers/shape.js';
export { LayerName, baseKeys } from './layers/define.js';
export { InitializerSchema } from './initializers.js';
export { RegularizerSchema } from './regularizers.js';
