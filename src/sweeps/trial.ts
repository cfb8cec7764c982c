import { FitSchema, type FitSpec } from '../jobs/contract.js';
import { validationError } from '../models/definition/zod-errors.js';
import { parseModelDefinition, type ModelDefinition } from '../models/index.js';
import { applyPoint, type Point } from './space.js';

/** What a sweep's paths address: `architecture.…`, `compile.…`, `fit.…`. */
export interface SweepBase {
  definition: ModelDefinition;
  fit: FitSpec;
}

/** The paths' root object for a base. */
export function spaceRoot(base: SweepBase): Record<string, unknown> {
  return { architecture: base.definition.architecture, compile: base.definition.compile, fit: base.fit };
}

/**
 * A trial's definition and fit arguments: the point applied to the base and
 * parsed again by the schemas every model and job goes through, so a trial
 * trains exactly what `POST /v1/models` and `POST /v1/jobs` would accept.
 */
export function trialArguments(base: SweepBase, point: Point): { definition: ModelDefinition; fit: FitSpec } {
  const applied = applyPoint(spaceRoot(base), point);
  const definition = parseModelDefinition({ ...base.definition, architecture: applied.architecture, compile: applied.compile });
  const fit = FitSchema.safeParse(applied.fit);
  if (!fit.success) throw validationError(fit.error, applied.fit, 'fit');
  return { definition, fit: fit.data };
}
