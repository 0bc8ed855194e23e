import type { RunHandle } from './run-summary.js';

/**
 * Decides whether and how a run starts when several processes share one crawl: the Raft-backed gate lets a cron
 * fire time start one run in the whole cluster and holds a cluster lock for `serialExecution` modules while their
 * run lasts. Without a gate (one process) every dispatch starts at once.
 */
export interface DispatchGate {
  /**
   * Starts the run through `start` when allowed. `fireTime` (epoch ms of the scheduled time) is given for cron
   * fires. Resolves to undefined when another process took this fire time; rejects with SerialModuleBusyError
   * when a serial module is already running elsewhere.
   */
  dispatch(
    modules: readonly string[],
    start: () => RunHandle,
    fireTime?: number,
  ): Promise<RunHandle | undefined>;
  /** The fencing tokens a run started here holds while it lasts (`serial:<module>` → token). */
  fencingTokens?(runId: string): Record<string, number> | undefined;
}

/** A `serialExecution` module already has a run somewhere in the cluster; the new run was not started. */
export class SerialModuleBusyError extends Error {
  constructor(
    readonly module: string,
    readonly holder: string,
    readonly expiresAt: number,
  ) {
    super(
      `module "${module}" has serialExecution and is already running in the cluster (lock held by ${holder} ` +
        `until ${new Date(expiresAt).toISOString()})`,
    );
    this.name = 'SerialModuleBusyError';
  }
}
