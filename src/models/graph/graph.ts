import type { ModelDefinition } from '../definition/schema.js';
import { functionalGraph } from './functional.js';
import { sequentialGraph } from './sequential.js';
import type { ModelGraph } from './types.js';

/** The definition as named, wired layers: checks everything that can be checked without shapes. */
export function graphOf(def: ModelDefinition): ModelGraph {
  return def.architecture.type === 'sequential' ? sequentialGraph(def.architecture) : functionalGraph(def.architecture);
}
