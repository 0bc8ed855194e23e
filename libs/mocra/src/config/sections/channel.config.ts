import type { ConfigIssue } from '../config.error.js';
import { ConfigKey, table, type CrossFieldChecked } from '../config-key.decorator.js';
import {
  bool,
  nonEmptyStr,
  nonNegativeInt,
  oneOf,
  positiveInt,
  str,
  stringList,
  stringMap,
} from '../config-value.kinds.js';

export const QUEUE_CODECS = ['msgpack', 'json'] as const;
export type QueueCodecName = (typeof QUEUE_CODECS)[number];

/** `[channel_config.kafka]`: queues go through Kafka when this section exists. */
export interface KafkaConfig {
  readonly brokers: readonly string[];
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
  readonly client_id: string;
  readonly session_timeout_ms: number;
}

export class KafkaConfigSection implements KafkaConfig, CrossFieldChecked {
  @ConfigKey({
    kind: stringList,
    required: true,
    doc: 'Bootstrap brokers as "host:port" (required in the section). The seed form "h1:9092,h2:9092" is split.',
  })
  brokers!: string[];

  @ConfigKey({ kind: nonEmptyStr, doc: 'SASL/PLAIN user; set together with password.' })
  username?: string;

  @ConfigKey({ kind: nonEmptyStr, secret: true, doc: 'SASL/PLAIN password; set together with username.' })
  password?: string;

  @ConfigKey({ kind: bool, default: false, doc: 'Connect with TLS (SASL_SSL when a user is set, else SSL).' })
  tls!: boolean;

  @ConfigKey({
    kind: nonEmptyStr,
    derive: (_kafka, root) => root['name'],
    defaultText: 'the namespace (`name`)',
    doc: 'Kafka client id.',
  })
  client_id!: string;

  @ConfigKey({
    kind: positiveInt,
    default: 10000,
    doc:
      'Consumer session timeout in ms: how long a vanished (killed) process holds its partitions before the ' +
      "others take its work over. The broker's group.min.session.timeout.ms (default 6000) is the floor.",
  })
  session_timeout_ms!: number;

  checkFields(): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    if (Array.isArray(this.brokers) && this.brokers.length === 0) {
      issues.push({ path: 'brokers', message: 'must list at least one broker' });
    }
    if ((this.username === undefined) !== (this.password === undefined)) {
      issues.push({ path: '', message: 'username and password must be set together (SASL/PLAIN)' });
    }
    return issues;
  }
}

/** `[channel_config.blob_storage]`: the seed's offload of large bodies to files (no effect in mocra-ts). */
export interface BlobStorageConfig {
  readonly path?: string;
}

export class BlobStorageConfigSection implements BlobStorageConfig {
  @ConfigKey({ kind: str, compat: true, doc: 'Seed: directory of offloaded response bodies.' })
  path?: string;
}

/** `[channel_config]`: the queues between pipeline stages. */
export interface ChannelConfig {
  readonly capacity: number;
  readonly queue_codec: QueueCodecName;
  readonly minid_time: number;
  readonly nack_max_retries: number;
  readonly nack_backoff_ms: number;
  readonly batch_concurrency: number;
  readonly compression_threshold: number;
  readonly durable_path?: string;
  readonly kafka?: KafkaConfig;
  readonly federation_request_namespaces?: readonly string[];
  readonly federation_response_cache_api_endpoints?: Readonly<Record<string, string>>;
  readonly blob_storage?: BlobStorageConfig;
}

export class ChannelConfigSection implements ChannelConfig {
  @ConfigKey({
    kind: positiveInt,
    default: 10000,
    doc: 'Messages a route holds (across its priorities) before publishers wait; nothing is dropped.',
  })
  capacity!: number;

  @ConfigKey({
    kind: oneOf(QUEUE_CODECS, ' (alias "rmp" = "msgpack")'),
    default: 'msgpack',
    doc: 'Envelope encoding on the queues; must be the same on every node.',
  })
  queue_codec!: QueueCodecName;

  @ConfigKey({
    kind: nonNegativeInt,
    default: 0,
    doc: 'Kafka topic retention in hours for topics mocra creates; 0 keeps the broker default.',
  })
  minid_time!: number;

  @ConfigKey({
    kind: nonNegativeInt,
    default: 3,
    doc: 'Redeliveries of a nacked message before it goes to the DLQ; 0 sends it straight to the DLQ.',
  })
  nack_max_retries!: number;

  @ConfigKey({
    kind: nonNegativeInt,
    default: 500,
    doc: 'Milliseconds before a nacked message is redelivered.',
  })
  nack_backoff_ms!: number;

  @ConfigKey({ kind: positiveInt, default: 50, doc: 'Batches flushed to Kafka at once.' })
  batch_concurrency!: number;

  @ConfigKey({
    kind: nonNegativeInt,
    default: 1024,
    compat: true,
    doc: 'Seed: payload size in bytes above which messages were zstd-compressed.',
  })
  compression_threshold!: number;

  @ConfigKey({
    kind: nonEmptyStr,
    path: true,
    defaultText: 'none (in-memory local queue)',
    doc: 'Directory of a durable local queue (classic-level) that survives a crash; unset keeps queues in memory.',
  })
  durable_path?: string;

  @ConfigKey({
    kind: table(() => KafkaConfigSection),
    defaultText: 'none (local queues)',
    doc: 'Kafka transport; without it queues are local to the process.',
  })
  kafka?: KafkaConfig;

  @ConfigKey({ kind: stringList, compat: true, doc: "Seed: other namespaces' request topics to consume." })
  federation_request_namespaces?: string[];

  @ConfigKey({ kind: stringMap, compat: true, doc: 'Seed: namespace → API URL for remote cached responses.' })
  federation_response_cache_api_endpoints?: Record<string, string>;

  @ConfigKey({
    kind: table(() => BlobStorageConfigSection),
    compat: true,
    doc: 'Seed: file offload of large response bodies.',
  })
  blob_storage?: BlobStorageConfig;
}
