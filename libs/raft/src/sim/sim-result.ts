import type { KvInput, KvOutput } from '../linearizability/kv.model.js';
import type { Operation } from '../linearizability/operation.js';
import type { FaultMix, RaftTuning } from './sim-options.js';

/** What a run produced: enough for the determinism test, the report and the linearizability check. */
export interface SimResult {
  seed: number;
  steps: number;
  time: number;
  nodes: number;
  faults: FaultMix;
  tuning: RaftTuning;
  /** What the clients saw; a write whose answer never came has output undefined and return Infinity. */
  history: Operation<KvInput, KvOutput>[];
  /** The history with unknown outcomes settled from the log (see resolveHistory); the one checked strictly. */
  resolvedHistory: Operation<KvInput, KvOutput>[];
  trace: string[];
  stats: SimStats;
}

export interface SimStats {
  messages: number;
  dropped: number;
  leaderChanges: number;
  crashes: number;
  snapshotsTaken: number;
  snapshotsInstalled: number;
  confChanges: number;
  opsOk: number;
  opsUnknown: number;
  healTicks: number;
  /** Restarts that reopened a node's LevelStorage directory (runs on disk only). */
  storageReopens: number;
}
