/** Process-wide counters since start, for progress lines and /debug. */
export interface EngineStats {
  pages: number;
  items: number;
  errors: number;
  retries: number;
  deadLettered: number;
  duplicates: number;
  bytes: number;
  activeRuns: number;
  queueDepth: number;
  inflight: number;
  paused: boolean;
  uptimeMs: number;
}
