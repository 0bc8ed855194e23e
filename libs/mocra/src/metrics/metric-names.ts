/** Every metric mocra registers, in one place so dashboards, alert rules and docs/http-api.md stay in step. */
export const MOCRA_METRIC = {
  requests: 'mocra_requests_total',
  responses: 'mocra_responses_total',
  downloadDuration: 'mocra_download_duration_seconds',
  responseBytes: 'mocra_response_bytes_total',
  itemsEmitted: 'mocra_items_emitted_total',
  itemsStored: 'mocra_items_stored_total',
  parserErrors: 'mocra_parser_errors_total',
  retries: 'mocra_retries_total',
  deadLettered: 'mocra_dead_lettered_total',
  runsStarted: 'mocra_runs_started_total',
  runsFinished: 'mocra_runs_finished_total',
  rateLimitWaits: 'mocra_rate_limit_waits_total',
  rateLimitWaitSeconds: 'mocra_rate_limit_wait_seconds_total',
  queueDepth: 'mocra_queue_depth',
  queueInflight: 'mocra_queue_inflight',
  dlqSize: 'mocra_dlq_size',
  paused: 'mocra_paused',
  activeRuns: 'mocra_active_runs',
  raftLeader: 'mocra_raft_is_leader',
  raftTerm: 'mocra_raft_term',
  raftCommitIndex: 'mocra_raft_commit_index',
  raftPeerUp: 'mocra_raft_peer_up',
} as const;

export type MocraMetricName = (typeof MOCRA_METRIC)[keyof typeof MOCRA_METRIC];

/** Prefix of the prom-client default process metrics (CPU, memory, event loop lag, GC, handles). */
export const PROCESS_METRICS_PREFIX = 'mocra_';

/** Download latency buckets in seconds: a fast local site to a slow remote one near the default timeout. */
export const DOWNLOAD_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
