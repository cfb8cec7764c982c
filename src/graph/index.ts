export { loadAddon } from './addon.js';
export { canLower, lowerModel, type LowerCheck, type LoweredModel } from './lower.js';
export { threadsFor, type SessionThreads } from './session-config.js';
export { trainOnGraph, type GraphTrainOptions } from './train.js';
