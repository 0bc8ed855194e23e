#!/usr/bin/env node
// Fetches Apache Kafka's jars with Maven into .cache/kafka/<version>/libs and runs a single-node KRaft
// broker+controller on free loopback ports. Plain ESM so CI, tests and benches can import or run it directly:
//   node scripts/kafka/kafka-broker.mjs fetch
//   node scripts/kafka/kafka-broker.mjs start      (prints KAFKA_READY 127.0.0.1:<port>, Ctrl-C stops)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { clearTimeout } from 'node:timers';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The original mocra's compose file ran 4.1.1; one pinned version keeps runs repeatable. */
export const KAFKA_VERSION = process.env.MOCRA_KAFKA_VERSION ?? '4.1.1';
const SCALA = '2.13';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const KAFKA_CACHE_DIR = join(REPO_ROOT, '.cache', 'kafka');

function libsDir(version) {
  return join(KAFKA_CACHE_DIR, version, 'libs');
}

function isCached(version) {
  const dir = libsDir(version);
  if (!existsSync(dir)) return false;
  const jars = readdirSync(dir);
  // The marker is written last, so an interrupted fetch is redone rather than half-used.
  return jars.includes('.complete') && jars.some((f) => f.startsWith(`kafka_${SCALA}-${version}`));
}

/** True when a `java` of version 17 or newer (Kafka 4's minimum) is on the PATH. */
export function javaAvailable() {
  const out = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (out.error || out.status !== 0) return false;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${out.stderr}${out.stdout}`);
  if (!match) return false;
  const major = Number(match[1]) === 1 ? Number(match[2]) : Number(match[1]);
  return major >= 17;
}

function pomFor(version) {
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>mocra.local</groupId>
  <artifactId>kafka-broker-fetch</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_${SCALA}</artifactId>
      <version>${version}</version>
    </dependency>
    <!-- The log4j2 binding the broker logs through (Kafka 4 declares it optional / test-only). -->
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j2-impl</artifactId>
      <version>2.24.3</version>
    </dependency>
    <!-- Pinned: a transitive slf4j-api 1.7 would otherwise win and not bind to log4j-slf4j2-impl. -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
      <version>2.0.17</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>2.24.3</version>
    </dependency>
  </dependencies>
</project>
`;
}

/**
 * Downloads kafka_2.13:<version> and its runtime dependencies into `.cache/kafka/<version>/libs` (skipped when
 * cached) and returns that folder. Throws naming the Maven failure.
 */
export function ensureKafka({ version = KAFKA_VERSION, quiet = true } = {}) {
  const dir = libsDir(version);
  if (isCached(version)) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'mocra-kafka-pom-'));
  try {
    writeFileSync(join(work, 'pom.xml'), pomFor(version));
    const args = [
      ...(quiet ? ['-q'] : []),
      '-B',
      '-f',
      join(work, 'pom.xml'),
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${dir}`,
    ];
    const out = spawnSync('mvn', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (out.error) throw new Error(`kafka fetch: cannot run mvn: ${out.error.message}`);
    if (out.status !== 0) {
      throw new Error(
        `kafka fetch: mvn dependency:copy-dependencies for kafka_${SCALA}:${version} exited ${out.status}\n` +
          `${out.stdout}\n${out.stderr}`.trim(),
      );
    }
    writeFileSync(join(dir, '.complete'), `${new Date().toISOString()}\n`);
    return dir;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(address.port));
    });
  });
}

const LOG4J2 = `<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders>
    <Console name="STDERR" target="SYSTEM_ERR">
      <PatternLayout pattern="[kafka %d{HH:mm:ss.SSS}] %p %c{1}: %m%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="ERROR"><AppenderRef ref="STDERR"/></Root>
  </Loggers>
</Configuration>
`;

function serverProperties({ port, controllerPort, logDir }) {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${logDir}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    '',
  ].join('\n');
}

/** Kafka's Uuid.randomUuid(): 16 random bytes as unpadded base64url, never starting with '-'. */
function randomClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Short-lived JVMs start faster with the C1 compiler only and the serial collector. */
const FAST_START_JVM = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xshare:auto'];

function runJava(cp, mainClass, args, extraJvm = []) {
  const out = spawnSync('java', ['-Xmx256m', ...FAST_START_JVM, ...extraJvm, '-cp', cp, mainClass, ...args], {
    encoding: 'utf8',
  });
  if (out.error) throw new Error(`kafka: cannot run java ${mainClass}: ${out.error.message}`);
  if (out.status !== 0) {
    throw new Error(
      `kafka: java ${mainClass} ${args.join(' ')} exited ${out.status}\n${out.stdout}\n${out.stderr}`,
    );
  }
  return out.stdout;
}

async function waitReady(brokers, child, timeoutMs) {
  // kafkajs is a dependency of @mocra/core, resolvable from the repo root's node_modules.
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({
    clientId: 'mocra-kafka-ready',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1000,
  });
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`kafka broker exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    }
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0 && cluster.controller !== null) {
        // Also wait for the group coordinator (it creates __consumer_offsets on first use), so the first consumer
        // group does not crash on COORDINATOR_LOAD_IN_PROGRESS right after start.
        const { groups } = await admin.describeGroups(['mocra-kafka-ready']);
        if (groups[0]?.errorCode === 0) return;
      }
    } catch (err) {
      lastError = err;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `kafka broker at ${brokers.join(',')} not ready after ${timeoutMs} ms: ${lastError?.message ?? 'no answer'}`,
  );
}

/**
 * Starts a single-node KRaft broker+controller on free loopback ports. `dataDir` defaults to a fresh temporary
 * folder that stop() deletes. Resolves once a kafkajs admin describeCluster succeeds.
 * @returns {Promise<{ brokers: string[], dataDir: string, stop(): Promise<void> }>}
 */
export async function startKafka({ dataDir, version = KAFKA_VERSION, readyTimeoutMs = 90_000, onLog } = {}) {
  const libs = ensureKafka({ version });
  const ownDir = dataDir === undefined;
  const root = dataDir ?? mkdtempSync(join(tmpdir(), 'mocra-kafka-'));
  mkdirSync(root, { recursive: true });
  const logDir = join(root, 'data');
  const port = await freePort();
  let controllerPort = await freePort();
  while (controllerPort === port) controllerPort = await freePort();
  const propsFile = join(root, 'server.properties');
  const log4jFile = join(root, 'log4j2.xml');
  writeFileSync(propsFile, serverProperties({ port, controllerPort, logDir }));
  writeFileSync(log4jFile, LOG4J2);
  const cp = `${libs}/*`;
  const log4jArg = `-Dlog4j2.configurationFile=${pathToFileURL(log4jFile).href}`;

  if (!existsSync(join(logDir, 'meta.properties'))) {
    // What `StorageTool random-uuid` prints, made here to save one JVM start (seconds on a busy machine).
    const clusterId = randomClusterId();
    runJava(
      cp,
      'kafka.tools.StorageTool',
      ['format', '-t', clusterId, '-c', propsFile, '--ignore-formatted'],
      [log4jArg],
    );
  }

  const child = spawn(
    'java',
    [
      '-Xmx512m',
      '-Xms128m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-Djava.awt.headless=true',
      log4jArg,
      '-cp',
      cp,
      'kafka.Kafka',
      propsFile,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const forward = (chunk) => {
    const text = chunk.toString();
    // Printed by every clean shutdown: log4j's hook cannot register while the JVM is already exiting.
    if (/Unable to register Log4j shutdown hook/.test(text)) return;
    if (onLog) onLog(text);
    else process.stderr.write(text);
  };
  child.stdout.on('data', forward);
  child.stderr.on('data', forward);
  const exited = new Promise((r) => child.once('exit', r));

  let stopped;
  const stop = () => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      if (ownDir) await rm(root, { recursive: true, force: true });
    })();
    return stopped;
  };

  const brokers = [`127.0.0.1:${port}`];
  try {
    await waitReady(brokers, child, readyTimeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { brokers, dataDir: root, stop };
}

async function main(argv) {
  const [command] = argv;
  if (command === 'fetch') {
    const dir = ensureKafka({ quiet: false });
    console.log(`KAFKA_LIBS ${dir}`);
    return;
  }
  if (command === 'start') {
    if (!javaAvailable()) throw new Error('kafka start: java 17+ is not on the PATH');
    const broker = await startKafka();
    console.log(`KAFKA_READY ${broker.brokers.join(',')}`);
    const shutdown = () => {
      broker.stop().then(() => process.exit(0));
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    return;
  }
  console.error('usage: node scripts/kafka/kafka-broker.mjs fetch|start');
  process.exitCode = 2;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
