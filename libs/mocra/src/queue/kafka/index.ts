export {
  KafkaQueueManager,
  type KafkaQueueManagerOptions,
  type KafkaQueueSubscription,
} from './kafka-queue.manager.js';
export { KafkaDeadLetterStore, type KafkaDeadLetterStoreOptions } from './kafka-dead-letter.store.js';
export { kafkaQueueOptionsFromConfig } from './kafka-queue.options.js';
export { createKafkaClient, type KafkaConnectionOptions } from './kafka-client.factory.js';
export { deadLetterTopic, routeGroupId, routeTopic } from './kafka-topics.js';
