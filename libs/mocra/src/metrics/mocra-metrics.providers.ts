import type { Provider } from '@nestjs/common';
import { makeCounterProvider, makeGaugeProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import type { Gauge } from 'prom-client';
import type { MocraConfig } from '../config/mocra-config.js';
import { MocraService } from '../engine/mocra.service.js';
import { MOCRA_CONFIG, QUEUE_MANAGER } from '../mocra.tokens.js';
import { PRIORITIES, ROUTES } from '../queue/envelope.js';
import type { QueueManager } from '../queue/queue-manager.js';
import { MOCRA_RAFT_STATUS, type RaftStatusSource } from '../control/raft-status.js';
import { DOWNLOAD_DURATION_BUCKETS, MOCRA_METRIC } from './metric-names.js';

const BY_MODULE = ['node_id', 'module'];

/** Counters and histograms the engine updates through `MocraMetrics`. */
export const MOCRA_EVENT_METRIC_PROVIDERS: Provider[] = [
  makeCounterProvider({ name: MOCRA_METRIC.requests, help: 'Downloads started.', labelNames: BY_MODULE }),
  makeCounterProvider({
    name: MOCRA_METRIC.responses,
    help: 'Downloads finished, by HTTP status class ("error" = no response).',
    labelNames: [...BY_MODULE, 'status_class'],
  }),
  makeHistogramProvider({
    name: MOCRA_METRIC.downloadDuration,
    help: 'Download latency in seconds, from request sent to body read.',
    labelNames: [...BY_MODULE, 'status_class'],
    buckets: DOWNLOAD_DURATION_BUCKETS,
  }),
  makeCounterProvider({
    name: MOCRA_METRIC.responseBytes,
    help: 'Response body bytes.',
    labelNames: BY_MODULE,
  }),
  makeCounterProvider({
    name: MOCRA_METRIC.itemsEmitted,
    help: 'Items returned by parsers.',
    labelNames: BY_MODULE,
  }),
  makeCounterProvider({
    name: MOCRA_METRIC.itemsStored,
    help: 'Items written by a store middleware.',
    labelNames: [...BY_MODULE, 'store'],
  }),
  makeCounterProvider({
    name: MOCRA_METRIC.parserErrors,
    help: 'parse() failures, by DAG node.',
    labelNames: [...BY_MODULE, 'node'],
  }),
  makeCounterProvider({
    name: MOCRA_METRIC.retries,
    help: 'Failed messages scheduled for another attempt, by source route.',
    labelNames: [...BY_MODULE, 'route'],
  }),
  makeCounterProvider({
    name: MOCRA_METRIC.deadLettered,
    help: 'Messages moved to the dead-letter queue, by source route.',
    labelNames: [...BY_MODULE, 'route'],
  }),
  makeCounterProvider({
    name: MOCRA_METRIC.runsStarted,
    help: 'Module runs started.',
    labelNames: BY_MODULE,
  }),
  makeCounterProvider({
    name: MOCRA_METRIC.runsFinished,
    help: 'Module runs finished.',
    labelNames: BY_MODULE,
  }),
  makeCounterProvider({
    name: MOCRA_METRIC.rateLimitWaits,
    help: 'Downloads that waited for a rate limit (module, rate_limit_group or host).',
    labelNames: BY_MODULE,
  }),
  makeCounterProvider({
    name: MOCRA_METRIC.rateLimitWaitSeconds,
    help: 'Seconds downloads spent waiting for a rate limit (module, rate_limit_group or host).',
    labelNames: BY_MODULE,
  }),
];

/** Gauges read from the runtime at scrape time (prom-client `collect`), so the hot path pays nothing for them. */
export const MOCRA_STATE_METRIC_PROVIDERS: Provider[] = [
  makeGaugeProvider({
    name: MOCRA_METRIC.queueDepth,
    help: 'Messages waiting for delivery, by route and priority.',
    labelNames: ['node_id', 'route', 'priority'],
    inject: [MOCRA_CONFIG, QUEUE_MANAGER],
    collect(this: Gauge, config: MocraConfig, queue: QueueManager) {
      const node = config.crawler.node_id;
      for (const route of ROUTES) {
        for (const priority of PRIORITIES)
          this.labels(node, route, priority).set(queue.depth(route, priority));
      }
    },
  }),
  makeGaugeProvider({
    name: MOCRA_METRIC.queueInflight,
    help: 'Messages delivered and not yet acknowledged, by route.',
    labelNames: ['node_id', 'route'],
    inject: [MOCRA_CONFIG, QUEUE_MANAGER],
    collect(this: Gauge, config: MocraConfig, queue: QueueManager) {
      for (const route of ROUTES) this.labels(config.crawler.node_id, route).set(queue.inflight(route));
    },
  }),
  makeGaugeProvider({
    name: MOCRA_METRIC.dlqSize,
    help: 'Records in the dead-letter queue.',
    labelNames: ['node_id'],
    inject: [MOCRA_CONFIG, QUEUE_MANAGER],
    async collect(this: Gauge, config: MocraConfig, queue: QueueManager) {
      this.labels(config.crawler.node_id).set(await queue.dlq.count());
    },
  }),
  makeGaugeProvider({
    name: MOCRA_METRIC.paused,
    help: '1 while the queues are paused (POST /control/pause).',
    labelNames: ['node_id'],
    inject: [MOCRA_CONFIG, QUEUE_MANAGER],
    collect(this: Gauge, config: MocraConfig, queue: QueueManager) {
      this.labels(config.crawler.node_id).set(queue.paused ? 1 : 0);
    },
  }),
  makeGaugeProvider({
    name: MOCRA_METRIC.activeRuns,
    help: 'Runs with work left.',
    labelNames: ['node_id'],
    inject: [MOCRA_CONFIG, MocraService],
    collect(this: Gauge, config: MocraConfig, mocra: MocraService) {
      this.labels(config.crawler.node_id).set(mocra.stats().activeRuns);
    },
  }),
  makeGaugeProvider({
    name: MOCRA_METRIC.raftLeader,
    help: '1 when this node is the Raft leader (only with [raft]).',
    labelNames: ['node_id'],
    inject: [{ token: MOCRA_RAFT_STATUS, optional: true }],
    collect(this: Gauge, raft: RaftStatusSource | undefined) {
      this.reset();
      const s = raft?.raftStatus();
      if (s) this.labels(s.nodeId).set(s.leaderId === s.nodeId ? 1 : 0);
    },
  }),
  makeGaugeProvider({
    name: MOCRA_METRIC.raftTerm,
    help: 'Current Raft term (only with [raft]).',
    labelNames: ['node_id'],
    inject: [{ token: MOCRA_RAFT_STATUS, optional: true }],
    collect(this: Gauge, raft: RaftStatusSource | undefined) {
      this.reset();
      const s = raft?.raftStatus();
      if (s) this.labels(s.nodeId).set(s.term);
    },
  }),
  makeGaugeProvider({
    name: MOCRA_METRIC.raftCommitIndex,
    help: 'Raft commit index (only with [raft]).',
    labelNames: ['node_id'],
    inject: [{ token: MOCRA_RAFT_STATUS, optional: true }],
    collect(this: Gauge, raft: RaftStatusSource | undefined) {
      this.reset();
      const s = raft?.raftStatus();
      if (s) this.labels(s.nodeId).set(s.commitIndex);
    },
  }),
  makeGaugeProvider({
    name: MOCRA_METRIC.raftPeerUp,
    help: '1 per reachable Raft peer, 0 per unreachable one (only with [raft]).',
    labelNames: ['node_id', 'peer'],
    inject: [{ token: MOCRA_RAFT_STATUS, optional: true }],
    collect(this: Gauge, raft: RaftStatusSource | undefined) {
      this.reset();
      const s = raft?.raftStatus();
      for (const peer of s?.peers ?? []) this.labels(s!.nodeId, peer.id).set(peer.healthy ? 1 : 0);
    },
  }),
];
