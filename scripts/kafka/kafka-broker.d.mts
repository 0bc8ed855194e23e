/** Types of kafka-broker.mjs for TypeScript callers (tests, benches). */
export declare const KAFKA_VERSION: string;
export declare const KAFKA_CACHE_DIR: string;

export interface KafkaBroker {
  /** `['127.0.0.1:<port>']` */
  brokers: string[];
  dataDir: string;
  /** SIGTERM, then SIGKILL after 10 s; deletes dataDir when startKafka made it. */
  stop(): Promise<void>;
}

export interface StartKafkaOptions {
  dataDir?: string;
  version?: string;
  readyTimeoutMs?: number;
  /** Broker stdout/stderr (ERROR level only); default: this process's stderr. */
  onLog?: (text: string) => void;
}

export declare function javaAvailable(): boolean;
export declare function ensureKafka(options?: { version?: string; quiet?: boolean }): string;
export declare function startKafka(options?: StartKafkaOptions): Promise<KafkaBroker>;
