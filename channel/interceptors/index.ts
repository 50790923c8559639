/** Registers every built-in interceptor by name (importing a file registers it). */
export { drop } from './drop';
export { delay } from './delay';
export { duplicate } from './duplicate';
export { replay } from './replay';
export { reorder } from './reorder';
export { tamper } from './tamper';
export { inject } from './inject';
export { jam } from './jam';
