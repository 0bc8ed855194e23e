import { javaAvailable, startKafka, type KafkaBroker } from '../../../../scripts/kafka/kafka-broker.mjs';

/**
 * Where the Kafka tests get their broker: `MOCRA_KAFKA_BROKERS` (an already running one), else a fresh single-node
 * KRaft broker started from the Maven-cached jars. Without Java the tests are skipped, loudly, unless `CI` is set:
 * in CI a missing Java is a failure, never a silent skip.
 */
export interface TestBrokerPlan {
  run: boolean;
  start(): Promise<{ brokers: string[]; stop(): Promise<void> }>;
}

export function planKafkaBroker(): TestBrokerPlan {
  const external = process.env['MOCRA_KAFKA_BROKERS'];
  if (external !== undefined && external.trim() !== '') {
    const brokers = external.split(',').map((b) => b.trim());
    return { run: true, start: async () => ({ brokers, stop: async () => undefined }) };
  }
  if (javaAvailable()) {
    return { run: true, start: (): Promise<KafkaBroker> => startKafka() };
  }
  if (process.env['CI'] !== undefined && process.env['CI'] !== '') {
    return {
      run: true,
      start: () =>
        Promise.reject(
          new Error('Kafka tests: CI is set but Java 17+ is not on the PATH, so no Kafka broker can run'),
        ),
    };
  }
  const bar = '!'.repeat(78);
  console.warn(
    `\n${bar}\n!! SKIPPING the Kafka queue tests: Java 17+ is not on the PATH and CI is unset.\n` +
      '!! Install a JDK (or set MOCRA_KAFKA_BROKERS=host:port) to run them; in CI they always run.\n' +
      `${bar}\n`,
  );
  return { run: false, start: () => Promise.reject(new Error('unreachable')) };
}
