import { randomBytes } from 'node:crypto';
import type { ConfigIssue } from '../config.error.js';
import { ConfigKey, table, type CrossFieldChecked } from '../config-key.decorator.js';
import {
  bool,
  nonEmptyStr,
  nonNegativeInt,
  nonNegativeNumber,
  positiveInt,
  type ValueKind,
} from '../config-value.kinds.js';

/**
 * The stages a process may run (`[crawler] roles`): ingress = the task route (module preProcess, entry nodes) and
 * cron; download = the request route; parse = the response and parser_task routes; store = data and store
 * middleware, which run on the items where they are parsed, so parse and store go together.
 */
export const WORKER_ROLES = ['ingress', 'download', 'parse', 'store'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

/** Worker group names become part of Kafka topic names, so they use the characters Kafka allows (no dots). */
export const WORKER_GROUP_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;

const rolesList: ValueKind = {
  tag: 'value',
  type: `array of ${WORKER_ROLES.map((r) => `"${r}"`).join(' | ')}`,
  expectation: `must be a non-empty array of distinct roles from ${WORKER_ROLES.map((r) => `"${r}"`).join(', ')}`,
  accepts: (v) =>
    Array.isArray(v) &&
    v.length > 0 &&
    new Set(v).size === v.length &&
    v.every((e) => typeof e === 'string' && (WORKER_ROLES as readonly string[]).includes(e)),
};

const workerGroupList: ValueKind = {
  tag: 'value',
  type: 'string[] ([A-Za-z0-9_-]+)',
  expectation: 'must be an array of distinct names of letters, digits, "_" or "-" (at most 100 characters)',
  accepts: (v) =>
    Array.isArray(v) &&
    new Set(v).size === v.length &&
    v.every((e) => typeof e === 'string' && WORKER_GROUP_PATTERN.test(e)),
};

/** `[crawler.scheduler_ingress_cutover_gate]`: the seed's ingress circuit breaker (no effect in mocra-ts). */
export interface CutoverGateConfig {
  readonly failure_threshold?: number;
  readonly recovery_window_secs?: number;
  readonly gray_ratio?: number;
}

export class CutoverGateConfigSection implements CutoverGateConfig {
  @ConfigKey({ kind: positiveInt, compat: true, doc: 'Seed: failures that open the gate.' })
  failure_threshold?: number;

  @ConfigKey({ kind: nonNegativeInt, compat: true, doc: 'Seed: seconds before an open gate retries.' })
  recovery_window_secs?: number;

  @ConfigKey({ kind: nonNegativeNumber, compat: true, doc: 'Seed: share of traffic let through (0..1).' })
  gray_ratio?: number;
}

/** `[crawler]`: the runtime's retry limits, error thresholds and concurrency. */
export interface CrawlerConfig {
  readonly request_max_retries: number;
  readonly task_max_errors: number;
  readonly module_max_errors: number;
  readonly module_locker_ttl: number;
  readonly node_id: string;
  readonly task_concurrency: number;
  readonly parser_concurrency: number;
  readonly error_task_concurrency: number;
  readonly publish_concurrency: number;
  readonly backpressure_retry_delay_ms: number;
  readonly dedup: boolean;
  readonly dedup_ttl_secs: number;
  readonly settle_heap: boolean;
  readonly idle_stop_secs: number;
  readonly roles: readonly WorkerRole[];
  readonly worker_groups: readonly string[];
  readonly scheduler_ingress_cutover_gate?: CutoverGateConfig;
}

export class CrawlerConfigSection implements CrawlerConfig, CrossFieldChecked {
  @ConfigKey({
    kind: nonNegativeInt,
    default: 3,
    doc: 'Download attempts per request, in all (network errors, timeouts, 5xx, 429), before it goes to the DLQ; 0 counts as 1.',
  })
  request_max_retries!: number;

  @ConfigKey({
    kind: positiveInt,
    default: 100,
    doc: 'Errors after which a task (account + platform) stops.',
  })
  task_max_errors!: number;

  @ConfigKey({ kind: positiveInt, default: 1000, doc: 'Errors after which a module run stops.' })
  module_max_errors!: number;

  @ConfigKey({
    kind: positiveInt,
    default: 60,
    doc: 'Seconds a module lock (modules with moduleLocker) is held before it expires.',
  })
  module_locker_ttl!: number;

  @ConfigKey({
    kind: nonEmptyStr,
    derive: () => `node-${randomBytes(6).toString('hex')}`,
    defaultText: 'generated `node-<12 hex>` at each load',
    doc: 'Identity of this process in metrics, heartbeats and cluster views. Set it to keep it across restarts.',
  })
  node_id!: string;

  @ConfigKey({ kind: positiveInt, default: 64, doc: 'Tasks (generate + download) processed at once.' })
  task_concurrency!: number;

  @ConfigKey({
    kind: positiveInt,
    derive: (section) => section['task_concurrency'],
    defaultText: 'task_concurrency',
    doc: 'Responses parsed at once.',
  })
  parser_concurrency!: number;

  @ConfigKey({
    kind: positiveInt,
    default: 4,
    doc: 'Error-route messages (retry decisions) handled at once.',
  })
  error_task_concurrency!: number;

  @ConfigKey({
    kind: positiveInt,
    derive: (section) => section['task_concurrency'],
    defaultText: 'task_concurrency',
    doc: 'Queue publishes in flight at once.',
  })
  publish_concurrency!: number;

  @ConfigKey({
    kind: nonNegativeInt,
    default: 100,
    doc: 'Milliseconds to wait before retrying a publish refused by a full downstream queue.',
  })
  backpressure_retry_delay_ms!: number;

  @ConfigKey({
    kind: bool,
    default: true,
    doc: 'Skip a request whose fingerprint was already seen in the same run (per-run seen-set).',
  })
  dedup!: boolean;

  @ConfigKey({ kind: positiveInt, default: 3600, doc: 'Seconds a run keeps its seen-set.' })
  dedup_ttl_secs!: number;

  @ConfigKey({
    kind: bool,
    default: true,
    doc:
      'Run one full garbage collection when the app has booted, before crawling starts. On the heap that ' +
      "bootstrap leaves, V8 tends to move a crawl's short-lived objects to the old generation; measured: 6-12 % " +
      'more pages/s in a 10k-page crawl.',
  })
  settle_heap!: boolean;

  @ConfigKey({
    kind: nonNegativeInt,
    default: 0,
    doc: 'Stop the process after queues, in-flight work and cron have been idle this many seconds; 0 = never.',
  })
  idle_stop_secs!: number;

  @ConfigKey({
    kind: rolesList,
    default: [...WORKER_ROLES],
    doc:
      'Stages this process runs: "ingress" (task route: module preProcess and entry nodes; cron), "download" ' +
      '(request route), "parse" (response and parser_task routes) and "store" (data and store middleware, run ' +
      'where the item is parsed, so "parse" and "store" go together). Other processes sharing the namespace ' +
      'through `[channel_config.kafka]` run the rest; without Kafka one process runs every stage.',
  })
  roles!: WorkerRole[];

  @ConfigKey({
    kind: workerGroupList,
    default: [],
    doc:
      'Worker groups this process also serves: nodes with `placement: { workerGroup }` in one of them have their ' +
      'request, response and parser_task work consumed here (Kafka topics `{name}-{route}-{priority}.{group}`); ' +
      'a process without the group never runs such a node. Ignored without Kafka.',
  })
  worker_groups!: string[];

  @ConfigKey({
    kind: table(() => CutoverGateConfigSection),
    compat: true,
    doc: 'Seed: per-module ingress circuit breaker.',
  })
  scheduler_ingress_cutover_gate?: CutoverGateConfig;

  checkFields(): ConfigIssue[] {
    const roles: readonly string[] = Array.isArray(this.roles) ? this.roles : [];
    if (roles.includes('parse') !== roles.includes('store')) {
      return [
        {
          path: 'roles',
          message:
            '"parse" and "store" must be listed together: items are stored by the process that parses them ' +
            `(got ${JSON.stringify(roles)})`,
        },
      ];
    }
    return [];
  }
}
