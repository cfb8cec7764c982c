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
export { checkModel, graphOf, inputShapeOf, planModel, type GraphNode, type ModelGraph, type ModelLimits, type ModelPlan } from './check.js';
export { checkLabels } from './labels.js';
export { buildModel } from './build.js';
export { summarize, type LayerSummary, type ModelSummary } from './summary.js';
export { CATALOGUE, LAYER_TYPES } from './catalogue.js';
export { ActivationSchema, type ActivationName } from './activations.js';
