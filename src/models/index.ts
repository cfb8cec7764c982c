export {
  ModelDefinitionSchema,
  ResolvedModelDefinitionSchema,
  ArchitectureSchema,
  SequentialArchitectureSchema,
  FunctionalArchitectureSchema,
  KerasArchitectureSchema,
  type ModelDefinition,
  type SequentialArchitecture,
  type FunctionalArchitecture,
} from './definition/schema.js';
export { parseModelDefinition } from './definition/parse.js';
export { CompileSchema, compileModel, type CompileSpec } from './compile/compile.js';
export { OptimizerSchema, createOptimizer, type OptimizerSpec } from './compile/optimizers.js';
export { LossSchema, canonicalLoss } from './compile/losses.js';
export { MetricSchema, metricKey } from './compile/metrics.js';
export { toKerasLogs } from './compile/logs.js';
export { checkModel } from './graph/plan-summary.js';
export { inputShapeOf } from './graph/input-shape.js';
export type { ModelLimits } from './graph/limits.js';
export { graphOf } from './graph/graph.js';
export { planModel, type ModelPlan } from './graph/plan.js';
export type { GraphNode, ModelGraph } from './graph/types.js';
export { buildModel } from './build.js';
export { summarize, type LayerSummary, type ModelSummary } from './model-summary.js';
export { CATALOGUE, LAYER_TYPES } from './catalogue.js';
export { ActivationSchema, type ActivationName } from './activations.js';
export { FunctionalLayerSchema, SequentialLayerSchema } from './definition/layers.js';
export { BatchShapeSchema, SampleShapeSchema, type SampleShape } from './layers/shape.js';
export { LayerName, baseKeys } from './layers/define.js';
export { InitializerSchema } from './initializers.js';
export { RegularizerSchema } from './regularizers.js';
export { kerasToArchitecture } from './keras/model.js';
export { checkLabels } from './labels.js';
export { PredictBatcher } from './predict-batcher.js';
export {
  describeLayers,
  evaluate,
  inspect,
  type LayerInfo,
  type LayerOutput,
  type Nested,
  type WeightInfo,
} from './inference.js';
