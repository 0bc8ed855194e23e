export {
  DurableLocalQueueManager,
  type DurableLocalQueueManagerOptions,
  type DurableRecoveryReport,
} from './durable-local-queue.manager.js';
export { DurableStateStore, type DurableStateOp } from './durable-state.store.js';
export { DURABLE_SUBLEVELS } from './durable-layout.js';
export { LevelDeadLetterStore, type LevelDeadLetterStoreOptions } from '../dlq/level-dead-letter.store.js';
