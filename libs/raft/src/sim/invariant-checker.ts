import type { Entry, HardState, NodeId, RaftRole, SnapshotMetadata, Storage } from '../core/types.js';
import { SimViolationError } from './sim-violation.error.js';

/** What the checker reads from a simulated node after each step. */
export interface CheckedNode {
  readonly id: NodeId;
  readonly storage: Storage;
  readonly isUp: boolean;
  readonly role: RaftRole;
  readonly term: number;
  readonly commit: number;
  readonly applied: number;
}

interface SeenEntry {
  node: NodeId;
  prevTerm: number | undefined;
  type: Entry['type'];
  data: Uint8Array;
}

interface CommittedEntry {
  node: NodeId;
  term: number;
  /**
   * An upper bound on the term in which the entry was committed: the lowest term any node had when applying it
   * (a node learns a commit from a leader of that term or later, and terms only grow).
   */
  commitTerm: number;
  type: Entry['type'];
  data: Uint8Array;
}

/**
 * Raft's safety properties (thesis §3.6.3 figure 3.2) plus the driver's bookkeeping rules, checked incrementally so
 * they can run after every simulation step. Histories are kept "across all time": a crash does not forget what a
 * node once said, so a node that votes twice in a term or loses a committed entry is caught.
 */
export class InvariantChecker {
  step = 0;
  time = 0;

  private readonly leaders = new Map<number, NodeId>();
  private readonly votes = new Map<string, NodeId>();
  private readonly seen = new Map<string, SeenEntry>();
  private readonly committed = new Map<number, CommittedEntry>();
  private readonly durable = new Map<NodeId, HardState>();
  private readonly leaderChecked = new Map<string, number>();
  private readonly revealedTerm = new Map<NodeId, number>();
  private maxCommitted = 0;

  constructor(
    private readonly seed: number,
    /** Off only to show that Raft's own properties also catch a driver that loses acknowledged writes. */
    private readonly checkDurability = true,
  ) {}

  get highestCommitted(): number {
    return this.maxCommitted;
  }

  fail(invariant: string, description: string): never {
    throw new SimViolationError(this.seed, this.step, this.time, invariant, description);
  }

  /** Election safety: at most one leader per term, across the whole run. */
  onLeader(node: NodeId, term: number): void {
    const other = this.leaders.get(term);
    if (other !== undefined && other !== node) {
      this.fail('election safety', `${node} and ${other} were both leader in term ${term}`);
    }
    this.leaders.set(term, node);
  }

  /** A node grants at most one vote per term (what a lost, unsynced vote would break after a crash). */
  onVoteGranted(voter: NodeId, candidate: NodeId, term: number): void {
    const key = `${voter}@${term}`;
    const earlier = this.votes.get(key);
    if (earlier !== undefined && earlier !== candidate) {
      this.fail(
        'single vote per term',
        `${voter} granted its term-${term} vote to ${earlier} and then to ${candidate}`,
      );
    }
    this.votes.set(key, candidate);
  }

  /**
   * Log matching, checked at append time: an entry (index, term) always has the same content and the same term
   * before it, on every node. By induction two logs holding (index, term) agree on every earlier entry.
   */
  onAppend(node: NodeId, storage: Storage, entries: Entry[]): void {
    let prevTerm: number | undefined;
    for (const [i, entry] of entries.entries()) {
      if (i === 0) {
        try {
          prevTerm = entry.index === 1 ? 0 : storage.term(entry.index - 1);
        } catch {
          prevTerm = undefined; // the previous entry was compacted away: only the content can be compared
        }
      }
      const key = `${entry.index}/${entry.term}`;
      const earlier = this.seen.get(key);
      if (earlier === undefined) {
        this.seen.set(key, { node, prevTerm, type: entry.type, data: entry.data });
      } else {
        if (earlier.type !== entry.type || !bytesEqual(earlier.data, entry.data)) {
          this.fail(
            'log matching',
            `entry ${key} on ${node} (${describe(entry.type, entry.data)}) differs from the one ${earlier.node} ` +
              `stored (${describe(earlier.type, earlier.data)})`,
          );
        }
        if (prevTerm !== undefined && earlier.prevTerm !== undefined && prevTerm !== earlier.prevTerm) {
          this.fail(
            'log matching',
            `entry ${key} follows term ${prevTerm} on ${node} but term ${earlier.prevTerm} on ${earlier.node}`,
          );
        }
        if (earlier.prevTerm === undefined && prevTerm !== undefined) earlier.prevTerm = prevTerm;
      }
      prevTerm = entry.term;
    }
  }

  /** State machine safety: entries apply in index order, and every node applies the same entry at an index. */
  onApply(node: CheckedNode, entry: Entry): void {
    if (entry.index !== node.applied + 1) {
      this.fail('apply order', `${node.id} applied entry ${entry.index} right after ${node.applied}`);
    }
    const earlier = this.committed.get(entry.index);
    if (earlier === undefined) {
      this.committed.set(entry.index, {
        node: node.id,
        term: entry.term,
        commitTerm: node.term,
        type: entry.type,
        data: entry.data,
      });
      if (entry.index > this.maxCommitted) this.maxCommitted = entry.index;
      return;
    }
    if (earlier.term !== entry.term || earlier.type !== entry.type || !bytesEqual(earlier.data, entry.data)) {
      this.fail(
        'state machine safety',
        `${node.id} applied ${entry.index}/${entry.term} (${describe(entry.type, entry.data)}) but ${earlier.node} ` +
          `applied ${entry.index}/${earlier.term} (${describe(earlier.type, earlier.data)})`,
      );
    }
    if (node.term < earlier.commitTerm) earlier.commitTerm = node.term;
  }

  onSnapshotRestored(node: CheckedNode, metadata: SnapshotMetadata): void {
    if (metadata.index < node.applied) {
      this.fail(
        'snapshot restore',
        `${node.id} restored snapshot ${metadata.index} behind applied ${node.applied}`,
      );
    }
    const earlier = this.committed.get(metadata.index);
    if (earlier !== undefined && earlier.term !== metadata.term) {
      this.fail(
        'state machine safety',
        `${node.id} restored a snapshot at ${metadata.index}/${metadata.term} but ${earlier.node} applied ` +
          `${metadata.index}/${earlier.term}`,
      );
    }
    if (metadata.index > this.maxCommitted) this.maxCommitted = metadata.index;
  }

  /** Term and commit never go back, and a vote cast in a term never changes; `what` says which copy. */
  onHardState(node: NodeId, previous: HardState | undefined, next: HardState, what: string): void {
    if (!previous) return;
    if (next.term < previous.term) {
      this.fail('monotonic term', `${node} ${what} term went from ${previous.term} to ${next.term}`);
    }
    if (next.commit < previous.commit) {
      this.fail('monotonic commit', `${node} ${what} commit went from ${previous.commit} to ${next.commit}`);
    }
    if (next.term === previous.term && previous.vote !== '' && next.vote !== previous.vote) {
      this.fail(
        'single vote per term',
        `${node} ${what} vote in term ${next.term} changed ${previous.vote} -> ${next.vote}`,
      );
    }
  }

  /**
   * Records what a message reveals about its sender's state. Raft requires a node to persist its term and vote
   * before any message that depends on them leaves (prevote traffic excepted: it carries a term not yet adopted).
   */
  onSent(message: { type: string; from: NodeId; term: number }): void {
    if (message.type === 'prevote' || message.type === 'prevote_resp') return;
    if (message.term > (this.revealedTerm.get(message.from) ?? 0))
      this.revealedTerm.set(message.from, message.term);
  }

  /** After a crash the node must come back with every term and vote it revealed before the crash. */
  onRestart(node: NodeId, hs: HardState): void {
    const revealed = this.revealedTerm.get(node) ?? 0;
    if (!this.checkDurability) {
      this.durable.set(node, { ...hs });
      return;
    }
    if (hs.term < revealed) {
      this.fail(
        'durability',
        `${node} sent messages at term ${revealed} but restarted with durable term ${hs.term}`,
      );
    }
    const granted = this.votes.get(`${node}@${hs.term}`);
    if (granted !== undefined && hs.vote !== granted) {
      this.fail(
        'durability',
        `${node} granted its term-${hs.term} vote to ${granted} but restarted with vote '${hs.vote}'`,
      );
    }
    this.onDurable(node, hs);
  }

  /** Called with the storage's hard state after every sync and at every restart. */
  onDurable(node: NodeId, hs: HardState): void {
    this.onHardState(node, this.durable.get(node), hs, 'durable');
    this.durable.set(node, { ...hs });
  }

  afterStep(nodes: Iterable<CheckedNode>): void {
    for (const node of nodes) {
      if (!node.isUp) continue;
      const storage = node.storage;
      const first = storage.firstIndex();
      const last = storage.lastIndex();
      const snapshotIndex = storage.snapshot().metadata.index;
      const purged = first - 1;
      if (!(
        purged <= snapshotIndex &&
        snapshotIndex <= node.applied &&
        node.applied <= node.commit &&
        node.commit <= last
      )) {
        this.fail(
          'index order',
          `${node.id}: need purged ${purged} <= snapshot ${snapshotIndex} <= applied ${node.applied} <= ` +
            `committed ${node.commit} <= last ${last}`,
        );
      }
      if (node.role === 'leader') this.checkLeaderCompleteness(node, first, last);
    }
  }

  /**
   * Leader completeness: a leader holds every entry committed in an earlier term (compacted ones are in its
   * snapshot). A deposed leader that has not heard of its successor yet need not have the successor's commits.
   */
  private checkLeaderCompleteness(node: CheckedNode, first: number, last: number): void {
    const key = `${node.id}@${node.term}`;
    const from = Math.max((this.leaderChecked.get(key) ?? 0) + 1, first);
    for (let index = from; index <= this.maxCommitted; index++) {
      const entry = this.committed.get(index);
      if (entry === undefined || entry.commitTerm >= node.term) continue;
      if (index > last) {
        this.fail(
          'leader completeness',
          `${node.id}, leader of term ${node.term}, lacks committed entry ${index}/${entry.term} (last index ${last})`,
        );
      }
      const term = node.storage.term(index);
      if (term !== entry.term) {
        this.fail(
          'leader completeness',
          `${node.id}, leader of term ${node.term}, has ${index}/${term} where ${index}/${entry.term} was committed`,
        );
      }
    }
    this.leaderChecked.set(key, Math.max(this.maxCommitted, from - 1));
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function describe(type: Entry['type'], data: Uint8Array): string {
  const hex = Array.from(data.subarray(0, 12), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${type}, ${data.length} bytes${data.length > 0 ? ` ${hex}${data.length > 12 ? '…' : ''}` : ''}`;
}
