import { RUN_COUNTERS, type ModuleRunSummary, type RunCounters } from './crawler-node.interface.js';
import type { RunSummary } from './run-summary.js';
import type { WorkReport } from '../queue/queue-manager.js';
import { WorkLedger } from './work-ledger.js';

/** Counters of one module within a run. Mutated on the hot path, so plain fields. */
export class ModuleRunState implements ModuleRunSummary {
  pages = 0;
  items = 0;
  errors = 0;
  retries = 0;
  deadLettered = 0;
  duplicates = 0;
  requests = 0;
  bytes = 0;
  skippedAfterFinish = 0;
  /** Messages published for this module run and not yet fully handled (including retries waiting on a timer). */
  pending = 0;
  preProcessed = false;
  finishedByParser = false;
  done = false;
  /** Distributed runs started here: work ids not yet reported done by any process. */
  ledger: WorkLedger | undefined = undefined;
  /** Distributed handler-side state: counters already sent in work reports, and when it was last used. */
  reported: RunCounters | undefined = undefined;
  lastUsedMs = 0;

  constructor(
    readonly module: string,
    readonly runId: string,
  ) {}

  summary(): ModuleRunSummary {
    const summary: ModuleRunSummary = { module: this.module, runId: this.runId, ...emptyCounters() };
    for (const key of RUN_COUNTERS) summary[key] = this[key];
    return summary;
  }
}

export class RunState {
  readonly modules = new Map<string, ModuleRunState>();
  readonly startedAtMs = Date.now();
  finishedAtMs = 0;
  readonly finished: Promise<RunSummary>;
  resolve!: (s: RunSummary) => void;

  constructor(
    readonly runId: string,
    modules: string[],
  ) {
    for (const m of modules) this.modules.set(m, new ModuleRunState(m, runId));
    this.finished = new Promise((resolve) => (this.resolve = resolve));
  }

  get done(): boolean {
    for (const m of this.modules.values()) if (!m.done) return false;
    return true;
  }

  summary(): RunSummary {
    const s: RunSummary = {
      runId: this.runId,
      modules: [],
      ...emptyCounters(),
      skippedAfterFinish: 0,
      startedAtMs: this.startedAtMs,
      finishedAtMs: this.finishedAtMs,
      durationMs: (this.finishedAtMs || Date.now()) - this.startedAtMs,
    };
    for (const m of this.modules.values()) {
      s.modules.push(m.summary());
      for (const key of RUN_COUNTERS) s[key] += m[key];
      s.skippedAfterFinish += m.skippedAfterFinish;
    }
    return s;
  }
}

/**
 * Knows, per run and module, how much work is outstanding. A handler publishes its children before its own
 * message is counted down, so a count of zero means the module run is complete.
 */
export class RunTracker {
  private readonly runs = new Map<string, RunState>();
  private readonly finishedRuns: RunSummary[] = [];
  private remote: RemoteCompletion | undefined;
  /** Distributed: the states handlers count into, per run and module; they never complete here. */
  private readonly handlerStates = new Map<string, ModuleRunState>();
  private lastSweepMs = Date.now();

  constructor(
    private readonly onModuleDone: (run: RunState, mod: ModuleRunState) => Promise<void>,
    private readonly keepFinished = 100,
  ) {}

  create(runId: string, modules: string[]): RunState {
    if (this.runs.has(runId)) throw new Error(`run "${runId}" is already active`);
    const run = new RunState(runId, modules);
    this.runs.set(runId, run);
    return run;
  }

  /**
   * Work of a run this process does not know (requeued from the DLQ after the run ended, or produced by another
   * process): track it as a run of its own, counting the message in hand, so it completes and reports like any.
   */
  adopt(runId: string, module: string): ModuleRunState {
    let run = this.runs.get(runId);
    if (!run) {
      run = new RunState(runId, [module]);
      this.runs.set(runId, run);
    }
    let state = run.modules.get(module);
    if (!state || state.done) {
      state = new ModuleRunState(module, runId);
      state.preProcessed = true;
      run.modules.set(module, state);
    }
    state.pending++;
    return state;
  }

  /** Counts one recovered message of a run the previous process left unfinished. */
  restore(runId: string, module: string): ModuleRunState {
    let run = this.runs.get(runId);
    if (!run) {
      run = new RunState(runId, []);
      this.runs.set(runId, run);
    }
    let state = run.modules.get(module);
    if (!state) {
      state = new ModuleRunState(module, runId);
      state.preProcessed = true;
      run.modules.set(module, state);
    }
    state.pending++;
    return state;
  }

  get(runId: string): RunState | undefined {
    return this.runs.get(runId);
  }

  module(runId: string, module: string): ModuleRunState | undefined {
    return this.runs.get(runId)?.modules.get(module);
  }

  active(): RunState[] {
    return [...this.runs.values()];
  }

  recent(): RunSummary[] {
    return [...this.finishedRuns];
  }

  get activeCount(): number {
    return this.runs.size;
  }

  inc(state: ModuleRunState): void {
    state.pending++;
  }

  /**
   * Distributed queues: handlers in many processes share a run, so no process can count its work. Runs started here
   * complete from the work reports every process publishes (`applyReport`); handlers count into states of their
   * own (`handlerState`), whose counter increments go out with the report of the message being handled (`flush`).
   * Handler states unused for `idleEvictMs` are dropped (`onEvict` lets the engine drop the run's seen-set).
   */
  useRemoteCompletion(
    flush: (counters: Record<string, number>) => void,
    idleEvictMs: number,
    onEvict: (runId: string) => void,
  ): void {
    this.remote = { flush, idleEvictMs, onEvict };
  }

  get distributed(): boolean {
    return this.remote !== undefined;
  }

  /** A run started here and still active: its work reports are wanted. */
  owns(runId: string): boolean {
    return this.runs.has(runId);
  }

  /** Distributed: the state this process's handlers count into for a run and module. */
  handlerState(runId: string, module: string): ModuleRunState {
    const now = Date.now();
    if (this.remote && now - this.lastSweepMs > Math.min(60_000, this.remote.idleEvictMs)) {
      this.sweep(now, this.remote);
    }
    const key = `${runId}\u0000${module}`;
    let state = this.handlerStates.get(key);
    if (!state) {
      state = new ModuleRunState(module, runId);
      state.reported = emptyCounters();
      this.handlerStates.set(key, state);
    }
    state.lastUsedMs = now;
    return state;
  }

  /** A root message of a run started here (its task), before it is published. */
  expectRoot(state: ModuleRunState, workId: string | undefined): void {
    if (workId !== undefined && this.remote) (state.ledger ??= new WorkLedger()).expect(workId);
    else state.pending++;
  }

  /** The root message could not be published. */
  dropRoot(runId: string, state: ModuleRunState, workId: string | undefined): void {
    if (workId === undefined || !this.remote) return this.dec(runId, state);
    state.ledger?.done(workId);
    this.settleRemote(runId, state);
  }

  /** Applies one process's report of handled work to a run started here. */
  applyReport(report: WorkReport): void {
    const state = this.runs.get(report.runId)?.modules.get(report.module);
    if (!state || state.done) return;
    if (report.counters) {
      for (const key of RUN_COUNTERS) {
        const n = report.counters[key];
        if (typeof n === 'number') state[key] += n;
      }
    }
    const ledger = (state.ledger ??= new WorkLedger());
    for (const id of report.created) ledger.expect(id);
    if (report.done !== undefined) ledger.done(report.done);
    this.settleRemote(report.runId, state);
  }

  dec(runId: string, state: ModuleRunState): void {
    if (this.remote) {
      state.pending--;
      this.flushCounters(state, this.remote);
      return;
    }
    if (--state.pending > 0 || state.done) return;
    this.complete(runId, state);
  }

  private settleRemote(runId: string, state: ModuleRunState): void {
    if (state.done || (state.ledger !== undefined && !state.ledger.settled)) return;
    this.complete(runId, state);
  }

  /** Sends the counters a handler state gained since its last report with the report being written. */
  private flushCounters(state: ModuleRunState, remote: RemoteCompletion): void {
    const reported = state.reported;
    if (!reported) return;
    let delta: Record<string, number> | undefined;
    for (const key of RUN_COUNTERS) {
      const d = state[key] - reported[key];
      if (d === 0) continue;
      (delta ??= {})[key] = d;
      reported[key] = state[key];
    }
    if (delta) remote.flush(delta);
  }

  private sweep(now: number, remote: RemoteCompletion): void {
    this.lastSweepMs = now;
    const dropped = new Set<string>();
    for (const [key, state] of this.handlerStates) {
      if (now - state.lastUsedMs > remote.idleEvictMs && state.pending <= 0) {
        this.handlerStates.delete(key);
        dropped.add(state.runId);
      }
    }
    for (const state of this.handlerStates.values()) dropped.delete(state.runId);
    for (const runId of dropped) if (!this.runs.has(runId)) remote.onEvict(runId);
  }

  private complete(runId: string, state: ModuleRunState): void {
    state.done = true;
    const run = this.runs.get(runId);
    if (!run) return;
    void this.onModuleDone(run, state).finally(() => {
      if (!run.done || !this.runs.has(runId)) return;
      run.finishedAtMs = Date.now();
      this.runs.delete(runId);
      const summary = run.summary();
      this.finishedRuns.push(summary);
      if (this.finishedRuns.length > this.keepFinished) this.finishedRuns.shift();
      run.resolve(summary);
    });
  }
}

interface RemoteCompletion {
  flush(counters: Record<string, number>): void;
  idleEvictMs: number;
  onEvict(runId: string): void;
}

function emptyCounters(): RunCounters {
  return { pages: 0, items: 0, errors: 0, retries: 0, deadLettered: 0, duplicates: 0, requests: 0, bytes: 0 };
}
