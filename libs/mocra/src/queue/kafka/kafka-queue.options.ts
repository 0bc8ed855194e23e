import type { MocraConfig } from '../../config/mocra-config.js';
import type { KafkaQueueManagerOptions } from './kafka-queue.manager.js';

/**
 * KafkaQueueManager options from a loaded config, or undefined when `[channel_config.kafka]` is absent (local
 * queues). `overrides` win, e.g. `{ dlq }` to keep dead letters elsewhere.
 */
export function kafkaQueueOptionsFromConfig(
  config: MocraConfig,
  overrides: Partial<KafkaQueueManagerOptions> = {},
): KafkaQueueManagerOptions | undefined {
  const channel = config.channel_config;
  const kafka = channel.kafka;
  if (kafka === undefined) return undefined;
  const options: KafkaQueueManagerOptions = {
    namespace: config.name,
    brokers: kafka.brokers,
    clientId: kafka.client_id,
    tls: kafka.tls,
    codec: channel.queue_codec,
    capacity: channel.capacity,
    nackMaxRetries: channel.nack_max_retries,
    nackBackoffMs: channel.nack_backoff_ms,
    retentionHours: channel.minid_time,
    sessionTimeoutMs: kafka.session_timeout_ms,
  };
  if (kafka.username !== undefined) options.username = kafka.username;
  if (kafka.password !== undefined) options.password = kafka.password;
  return { ...options, ...overrides };
}
