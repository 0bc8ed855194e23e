import type { ModuleRunSummary, RunCounters } from './crawler-node.interface.js';

/** What a finished run did; `dispatch(...).finished` resolves to it. */
export interface RunSummary extends RunCounters {
  runId: string;
  modules: ModuleRunSummary[];
  /** Work of a module run that arrived after a parser called finish(); acknowledged, not executed. */
  skippedAfterFinish: number;
  startedAtMs: number;
  finishedAtMs: number;
  durationMs: number;
}

/** Handle returned by `MocraService.dispatch`. */
export interface RunHandle {
  runId: string;
  modules: string[];
  finished: Promise<RunSummary>;
  /**
   * With [raft], for modules with serialExecution: the fencing token of each cluster lock the run holds
   * (`serial:<module>` → token). Tokens only grow, so a resource can refuse work from an older holder.
   */
  fencingTokens?: Record<string, number>;
}
