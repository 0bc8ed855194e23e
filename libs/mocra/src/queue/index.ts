export * from './envelope.js';
export type {
  DeadLetterFailure,
  PublishOptions,
  QueueHandler,
  QueueManager,
  QueueMessage,
  QueueSubscription,
  SubscribeOptions,
} from './queue-manager.js';
export {
  DEFAULT_MAX_ENVELOPE_BYTES,
  QUEUE_CODEC_NAMES,
  type QueueCodec,
  type QueueCodecName,
  type QueueCodecOptions,
} from './codec/queue-codec.js';
export { JsonQueueCodec } from './codec/json.codec.js';
export { MsgpackQueueCodec } from './codec/msgpack.codec.js';
export { createQueueCodec } from './codec/create-queue-codec.js';
export { assertEnvelope } from './codec/envelope.guard.js';
export { EnvelopeDecodeError, EnvelopeEncodeError } from './codec/envelope-decode.error.js';
export { PriorityFifo, DEFAULT_STARVATION_LIMIT } from './local/priority-fifo.js';
export { LocalQueueManager, type LocalQueueManagerOptions } from './local/local-queue.manager.js';
export { QueueClosedError } from './local/queue-closed.error.js';
export type {
  DeadLetterFilter,
  DeadLetterListQuery,
  DeadLetterPage,
  DeadLetterStore,
} from './dlq/dead-letter.store.js';
export { MemoryDeadLetterStore } from './dlq/memory-dead-letter.store.js';

export * from './durable/index.js';
