// A worker thread's entry (coordinator.ts starts it): TypeScript loads through tsx in every
// thread, since a loader registered with --import in the main thread does not reach workers.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
