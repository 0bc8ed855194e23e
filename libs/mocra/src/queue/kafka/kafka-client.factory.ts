import { createRequire } from 'node:module';
import type * as KafkaJs from 'kafkajs';
import type { Kafka, KafkaConfig, LogEntry, logCreator } from 'kafkajs';

let kafkajs: typeof KafkaJs | undefined;

/**
 * kafkajs, loaded on first use (it is CommonJS, so synchronously): importing @mocra/core for an app that queues in
 * memory must not load 143 modules it never runs.
 */
export function loadKafkajs(): typeof KafkaJs {
  return (kafkajs ??= createRequire(import.meta.url)('kafkajs') as typeof KafkaJs);
}

/** How to reach the cluster: `[channel_config.kafka]`. */
export interface KafkaConnectionOptions {
  brokers: readonly string[];
  clientId: string;
  /** SASL/PLAIN; both or neither. */
  username?: string;
  password?: string;
  tls?: boolean;
  /** Where kafkajs errors go (default console.error); retriable protocol noise is dropped. */
  log?: (message: string) => void;
}

/**
 * kafkajs logs retriable protocol errors at ERROR while it retries them (a coordinator still loading after a broker
 * start, a rebalance in progress, createTopics racing another process); they are expected and resolve themselves.
 */
const RETRIABLE_NOISE =
  /coordinator is (loading|not available)|not the correct coordinator|rebalanc|Topic creation errors|TOPIC_ALREADY_EXISTS|leader is not available|not the leader|does not host this topic-partition|There is no leader|is not a member|unknown member|The group is rebalancing|Connection error|Closed connection|ECONNREFUSED/i;

function mocraLogCreator(log: (message: string) => void): logCreator {
  const { logLevel } = loadKafkajs();
  return () =>
    ({ level, log: entry }: LogEntry) => {
      if (level > logLevel.ERROR) return;
      const error = typeof entry['error'] === 'string' ? entry['error'] : '';
      const text = `${entry.message} ${error}`;
      if (RETRIABLE_NOISE.test(text)) return;
      log(`[mocra] kafka: ${text.trim()}`);
    };
}

export function createKafkaClient(options: KafkaConnectionOptions): Kafka {
  if (options.brokers.length === 0) throw new Error('channel_config.kafka.brokers: no broker given');
  if ((options.username === undefined) !== (options.password === undefined)) {
    throw new Error('channel_config.kafka: username and password must be set together (SASL/PLAIN)');
  }
  const log = options.log ?? ((message: string) => console.error(message));
  const { Kafka, logLevel } = loadKafkajs();
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: logLevel.ERROR,
    logCreator: mocraLogCreator(log),
    connectionTimeout: 3000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 5000 },
  };
  if (options.tls) config.ssl = true;
  if (options.username !== undefined && options.password !== undefined) {
    config.sasl = { mechanism: 'plain', username: options.username, password: options.password };
  }
  return new Kafka(config);
}
