import { Logger } from '@nestjs/common';
import type { MocraConfig } from '../config/mocra-config.js';
import { loadBackendPackage } from '../common/backend-package.js';
import { MemoryDeadLetterStore } from './dlq/memory-dead-letter.store.js';
import { kafkaQueueOptionsFromConfig } from './kafka/kafka-queue.options.js';
import { LocalQueueManager } from './local/local-queue.manager.js';
import type { QueueManager } from './queue-manager.js';

/**
 * The queue backend the config asks for: Kafka when `[channel_config.kafka]` exists, else a durable local queue
 * when `channel_config.durable_path` is set, else the in-memory local queue (the fastest, and the default). The
 * Kafka and durable backends, and the packages under them, are loaded here only when selected.
 */
export async function createQueueManager(config: MocraConfig): Promise<QueueManager> {
  const logger = new Logger('mocra:queue');
  const kafka = kafkaQueueOptionsFromConfig(config);
  if (kafka !== undefined) {
    const [{ KafkaQueueManager }, { loadKafkajs }] = await Promise.all([
      import('./kafka/kafka-queue.manager.js'),
      import('./kafka/kafka-client.factory.js'),
    ]);
    await loadBackendPackage('[channel_config.kafka]', 'kafkajs', loadKafkajs);
    return KafkaQueueManager.create(kafka);
  }
  const common = {
    namespace: config.name,
    capacity: config.channel_config.capacity,
    nackMaxRetries: config.channel_config.nack_max_retries,
    nackBackoffMs: config.channel_config.nack_backoff_ms,
    onError: (err: unknown, context: string) => logger.error(`${context}: ${String(err)}`),
  };
  const durablePath = config.channel_config.durable_path;
  if (durablePath) {
    const { DurableLocalQueueManager } = await import('./durable/durable-local-queue.manager.js');
    await loadBackendPackage('channel_config.durable_path', 'classic-level', () => import('classic-level'));
    return DurableLocalQueueManager.open({
      ...common,
      path: durablePath,
      onReport: (line) => logger.log(line),
    });
  }
  return new LocalQueueManager({ ...common, dlq: new MemoryDeadLetterStore() });
}
