import { RUN_COUNTERS, type ModuleRunSummary, type RunCounters } from './crawler-node.interface.js';
import type { RunSummary } from './run-summary.js';

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

  dec(runId: string, state: ModuleRunState): void {
    if (--state.pending > 0 || state.done) return;
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

function emptyCounters(): RunCounters {
  return { pages: 0, items: 0, errors: 0, retries: 0, deadLettered: 0, duplicates: 0, requests: 0, bytes: 0 };
}
