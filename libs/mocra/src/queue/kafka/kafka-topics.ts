import type { Admin, ITopicConfig } from 'kafkajs';
import { PRIORITIES, ROUTES, type Priority, type Route } from '../envelope.js';

/**
 * `{namespace}-{route}-{priority}`: one topic per route and priority, as in the seed. Work of a node placed on a
 * worker group goes to `{namespace}-{route}-{priority}.{group}` (group names cannot hold a dot, so no clash).
 */
export function routeTopic(
  namespace: string,
  route: Route,
  priority: Priority,
  workerGroup?: string,
): string {
  return workerGroup === undefined
    ? `${namespace}-${route}-${priority}`
    : `${namespace}-${route}-${priority}.${workerGroup}`;
}

/** The routes whose work follows a node's placement: its generate (parser_task), download and parse. */
export const PLACED_ROUTES: readonly Route[] = ['request', 'response', 'parser_task'];

/** Worker group names are part of topic names: the characters Kafka allows, minus the dot used as separator. */
export function checkWorkerGroupName(group: string): void {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(group)) {
    throw new Error(
      `worker group ${JSON.stringify(group)}: must be 1 to 100 letters, digits, "_" or "-" (it names Kafka topics)`,
    );
  }
}

/** `{namespace}-status`: every process's work reports, read by the processes that started runs. */
export function statusTopic(namespace: string): string {
  return `${namespace}-status`;
}

export function deadLetterTopic(namespace: string): string {
  return `${namespace}-dlq`;
}

/** One consumer group per route: every process subscribed to a route shares its partitions. */
export function routeGroupId(namespace: string, route: Route, workerGroup?: string): string {
  return workerGroup === undefined ? `${namespace}-${route}` : `${namespace}-${route}.${workerGroup}`;
}

export interface TopicLayout {
  namespace: string;
  /** Partitions of each route topic: the most processes (consumers) that can share one route. */
  partitions: number;
  /** `channel_config.minid_time`: retention of route topics in hours; 0 keeps the broker default. */
  retentionHours: number;
}

/**
 * Creates the route topics and the DLQ topic that do not exist yet (existing ones are left as they are). The DLQ
 * topic is compacted and never expires: a dead letter stays until it is requeued or deleted, which writes a tombstone.
 */
export async function ensureTopics(admin: Admin, layout: TopicLayout): Promise<void> {
  const wanted: ITopicConfig[] = [];
  const retention = retentionEntries(layout);
  for (const route of ROUTES) {
    for (const priority of PRIORITIES) {
      wanted.push({
        topic: routeTopic(layout.namespace, route, priority),
        numPartitions: layout.partitions,
        configEntries: retention,
      });
    }
  }
  wanted.push({
    topic: deadLetterTopic(layout.namespace),
    numPartitions: 1,
    configEntries: [
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'retention.ms', value: '-1' },
    ],
  });
  // Reports are read live by the processes driving runs; a day covers any reader that lags behind.
  wanted.push({
    topic: statusTopic(layout.namespace),
    numPartitions: 1,
    configEntries: [
      {
        name: 'retention.ms',
        value: String(Math.max(layout.retentionHours, 24) * 3_600_000),
      },
    ],
  });
  await createMissing(admin, wanted);
}

/** The placed routes' topics of one worker group, created on first use by a publisher or a consumer. */
export async function ensureWorkerGroupTopics(
  admin: Admin,
  layout: TopicLayout,
  workerGroup: string,
): Promise<void> {
  checkWorkerGroupName(workerGroup);
  const retention = retentionEntries(layout);
  const wanted: ITopicConfig[] = [];
  for (const route of PLACED_ROUTES) {
    for (const priority of PRIORITIES) {
      wanted.push({
        topic: routeTopic(layout.namespace, route, priority, workerGroup),
        numPartitions: layout.partitions,
        configEntries: retention,
      });
    }
  }
  await createMissing(admin, wanted);
}

function retentionEntries(layout: TopicLayout): Array<{ name: string; value: string }> {
  return layout.retentionHours > 0
    ? [{ name: 'retention.ms', value: String(layout.retentionHours * 3_600_000) }]
    : [];
}

async function createMissing(admin: Admin, wanted: ITopicConfig[]): Promise<void> {
  // Listing first keeps kafkajs from logging TOPIC_ALREADY_EXISTS for every restart; createTopics still tolerates
  // a topic another process created in between (it then returns false).
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) {
    // Another process may have created them a moment ago: wait until they are served, as after creating them.
    await waitForLeaders(
      admin,
      wanted.map((t) => t.topic),
    );
    return;
  }
  // waitForLeaders is left off: kafkajs 2.2.4 only retries LEADER_NOT_AVAILABLE while waiting, but a KRaft broker
  // answers UNKNOWN_TOPIC_OR_PARTITION for a moment after creating a topic, which kafkajs then throws.
  let createError: unknown;
  try {
    await admin.createTopics({ topics: missing, waitForLeaders: false });
  } catch (err) {
    createError = err;
  }
  // Metadata lags creation by a moment on KRaft, so existence is judged by polling rather than one listing.
  try {
    await waitForLeaders(
      admin,
      missing.map((t) => t.topic),
      createError === undefined ? 30_000 : 3_000,
    );
  } catch (err) {
    if (createError === undefined) throw err;
    const why = createError instanceof Error ? createError.message : String(createError);
    throw new Error(`kafka: cannot create topics ${missing.map((t) => t.topic).join(', ')}: ${why}`, {
      cause: createError,
    });
  }
}

/** Polls metadata until every partition of `topics` has a leader. */
export async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no metadata yet';
  while (Date.now() < deadline) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics });
      const leaderless = meta.filter(
        (t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0),
      );
      if (meta.length === topics.length && leaderless.length === 0) {
        // A leader in the metadata may still answer NOT_LEADER_OR_FOLLOWER for a moment (and kafkajs's admin does
        // not retry that): only a successful ListOffsets on every topic means the partitions are served.
        await Promise.all(topics.map((t) => admin.fetchTopicOffsets(t)));
        return;
      }
      last = `no leader yet for ${leaderless.map((t) => t.name).join(', ')}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`kafka: topics ${topics.join(', ')} have no leaders after ${timeoutMs} ms: ${last}`);
}
