/** Registers every built-in campaign step kind by name (importing a file registers it). */
export { record } from './record';
export { replay } from './replay';
export { interceptor } from './interceptor';
export { remove } from './remove';
export { compromise } from './compromise';
export { forge } from './forge';
export { rogueFirmware } from './rogue-firmware';
export { jam } from './jam';
export { flood } from './flood';
export { powerRestored } from './power-restored';
export { automation } from './automation';
export { firmware } from './firmware';
export { replace } from './replace';
export { confidential } from './confidential';
export { splice } from './splice';
export { relabel } from './relabel';
export { reencrypt } from './reencrypt';
