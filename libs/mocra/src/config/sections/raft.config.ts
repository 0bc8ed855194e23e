import type { ConfigIssue } from '../config.error.js';
import { ConfigKey, type CrossFieldChecked } from '../config-key.decorator.js';
import { hostPort, nonEmptyStr, positiveInt, stringList } from '../config-value.kinds.js';

/** Longest election timeout, as a multiple of the heartbeat, before failover gets needlessly slow. */
const MAX_ELECTION_TO_HEARTBEAT = 10;

/** `[raft]`: replicated coordination state. Absent = single node, local state. */
export interface RaftConfig {
  readonly addr: string;
  readonly peers: readonly string[];
  readonly data_dir: string;
  readonly heartbeat_interval_ms: number;
  readonly election_timeout_ms: number;
  readonly snapshot_interval: number;
}

export class RaftConfigSection implements RaftConfig, CrossFieldChecked {
  @ConfigKey({
    kind: hostPort,
    required: true,
    doc: 'This node\'s Raft listen address, "host:port" (required in [raft]).',
  })
  addr!: string;

  @ConfigKey({
    kind: stringList,
    default: [],
    doc: 'Addresses ("host:port") of other members to join through; empty bootstraps a one-node cluster.',
  })
  peers!: string[];

  @ConfigKey({
    kind: nonEmptyStr,
    default: './raft_data/{name}',
    defaultText: '"./raft_data/{name}", resolved against baseDir',
    path: true,
    doc: 'Directory of the Raft log and snapshots (classic-level).',
  })
  data_dir!: string;

  @ConfigKey({ kind: positiveInt, default: 500, doc: 'Milliseconds between leader heartbeats.' })
  heartbeat_interval_ms!: number;

  @ConfigKey({
    kind: positiveInt,
    default: 1500,
    doc: `Milliseconds without a leader before an election; > heartbeat_interval_ms and ≤ ${MAX_ELECTION_TO_HEARTBEAT}× it.`,
  })
  election_timeout_ms!: number;

  @ConfigKey({ kind: positiveInt, default: 500, doc: 'Log entries applied between snapshots.' })
  snapshot_interval!: number;

  checkFields(): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    if (Array.isArray(this.peers)) {
      this.peers.forEach((peer, i) => {
        if (!hostPort.accepts(peer)) {
          issues.push({
            path: `peers[${i}]`,
            message: `${hostPort.expectation}, got ${JSON.stringify(peer)}`,
          });
        }
      });
    }
    const heartbeat = this.heartbeat_interval_ms;
    const election = this.election_timeout_ms;
    if (typeof heartbeat === 'number' && typeof election === 'number') {
      const max = heartbeat * MAX_ELECTION_TO_HEARTBEAT;
      if (election <= heartbeat || election > max) {
        issues.push({
          path: 'election_timeout_ms',
          message:
            `must be greater than raft.heartbeat_interval_ms (${heartbeat}) and at most ` +
            `${MAX_ELECTION_TO_HEARTBEAT}× it (${max}), got ${election}`,
        });
      }
    }
    return issues;
  }
}
