import { encodeConfChange } from './conf-change-codec.js';
import { ProposalDroppedError, RaftUsageError } from './errors.js';
import { Raft, newMessage } from './raft.js';
import { entryPayloadSize } from './raft-log.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  MessageType,
  NodeId,
  ProgressStatus,
  RaftConfig,
  RaftStatus,
  Ready,
  SoftState,
  Storage,
} from './types.js';

/** Message types that only the node itself creates; step() refuses them from the outside. */
const LOCAL_ONLY: ReadonlySet<MessageType> = new Set<MessageType>([
  'hup',
  'beat',
  'check_quorum',
  'unreachable',
]);

/** Request types forwarded to the leader with their origin in `from`. */
const FORWARDED: ReadonlySet<MessageType> = new Set<MessageType>(['prop', 'read_index', 'transfer_leader']);

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/**
 * The caller-driven Raft node (etcd's RawNode). Single-threaded and deterministic: no clock, no randomness
 * except RaftConfig.random, no I/O. Loop: tick()/step()/propose() ... then while hasReady(): rd = ready();
 * persist rd.snapshot, rd.hardState, rd.entries (sync if rd.mustSync); only then send rd.messages; apply
 * rd.committedEntries in order (they may include entries of this same Ready, hence persist first; call
 * applyConfChange for conf changes, skipping one that throws ConfChangeError); advance(rd). Call advance(rd)
 * before the next ready(). Messages to the leader's followers are built when a Ready is drained, so every
 * proposal and acknowledgement in between shares one 'app' per follower.
 */
export class RawNode {
  /** The underlying state machine (for tests and diagnostics; drive the node through RawNode's methods). */
  readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;

  constructor(config: RaftConfig, storage: Storage) {
    this.raft = new Raft(config, storage);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  /** Advances the logical clock by one tick (election and heartbeat timeouts count ticks). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (PreVote first when enabled). */
  campaign(): void {
    this.raft.step(newMessage('hup', this.raft.id, { from: this.raft.id }));
  }

  /** Proposes data to be appended; throws ProposalDroppedError when it cannot be accepted. */
  propose(data: Uint8Array): void {
    const e: Entry = { term: 0, index: 0, type: 'normal', data };
    this.raft.step(newMessage('prop', this.raft.id, { from: this.raft.id, entries: [e] }));
  }

  /** Proposes a configuration change; throws ProposalDroppedError when it cannot be accepted. */
  proposeConfChange(cc: ConfChange): void {
    const e: Entry = { term: 0, index: 0, type: 'conf_change', data: encodeConfChange(cc) };
    this.raft.step(newMessage('prop', this.raft.id, { from: this.raft.id, entries: [e] }));
  }

  /** Applies a committed conf change entry's change to the configuration; returns the new ConfState. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /** Feeds a message received from a peer. Local message types (hup, beat, ...) are rejected. */
  step(m: Message): void {
    if (LOCAL_ONLY.has(m.type)) {
      throw new RaftUsageError(`RawNode.step: ${m.type} is a local message type (from ${m.from})`);
    }
    // Forwarded requests keep their origin in `from` (for transfer_leader: the target) and may arrive at that very
    // node (it became leader, or a follower that believed it leads forwarded it back): that is legitimate.
    if (m.from === this.raft.id && !FORWARDED.has(m.type)) {
      throw new RaftUsageError(`RawNode.step: message ${m.type} claims to come from this node (${m.from})`);
    }
    try {
      this.raft.step(m);
    } catch (e) {
      // A forwarded proposal the leader cannot take is dropped like a lost message; its sender retries.
      if (m.type === 'prop' && (e instanceof ProposalDroppedError || e instanceof RaftUsageError)) {
        this.raft.logger.info(`${this.raft.id} dropped forwarded proposal from ${m.from}: ${e.message}`);
        return;
      }
      throw e;
    }
  }

  /** Requests a linearizable read; the ReadState with this ctx appears in a later Ready. */
  readIndex(ctx: Uint8Array): void {
    this.raft.step(newMessage('read_index', this.raft.id, { from: this.raft.id, context: ctx }));
  }

  /** Asks the leader to hand leadership to `to` (works on followers too: forwarded to the leader). */
  transferLeader(to: NodeId): void {
    this.raft.step(newMessage('transfer_leader', this.raft.id, { from: to }));
  }

  hasReady(): boolean {
    const r = this.raft;
    // Deferred appends and read rounds are built now: whether they produce messages decides the answer.
    r.flushPending();
    const ss = r.softState();
    if (ss.leader !== this.prevSoftState.leader || ss.role !== this.prevSoftState.role) return true;
    if (!sameHardState(r.hardState(), this.prevHardState)) return true;
    if (r.raftLog.unstable.snapshot !== undefined) return true;
    if (r.msgs.length > 0 || r.raftLog.unstable.entries.length > 0 || r.readStates.length > 0) return true;
    return r.raftLog.hasNextCommittedEnts();
  }

  ready(): Ready {
    const r = this.raft;
    r.flushPending();
    const hs = r.hardState();
    const ss = r.softState();
    const entries = r.raftLog.unstable.entries.slice();
    const rd: Ready = {
      readStates: r.readStates,
      entries,
      committedEntries: r.raftLog.nextCommittedEnts(),
      messages: r.takeMessages(),
      mustSync: false,
    };
    r.readStates = [];
    if (ss.leader !== this.prevSoftState.leader || ss.role !== this.prevSoftState.role) rd.softState = ss;
    if (!sameHardState(hs, this.prevHardState)) rd.hardState = hs;
    const snap = r.raftLog.unstable.snapshot;
    if (snap) rd.snapshot = snap;
    rd.mustSync =
      entries.length > 0 ||
      snap !== undefined ||
      hs.term !== this.prevHardState.term ||
      hs.vote !== this.prevHardState.vote;
    return rd;
  }

  /** Acknowledges that everything in rd was persisted, sent and applied. */
  advance(rd: Ready): void {
    const r = this.raft;
    if (rd.softState) this.prevSoftState = rd.softState;
    if (rd.hardState) this.prevHardState = rd.hardState;
    if (rd.snapshot) {
      const idx = rd.snapshot.metadata.index;
      r.raftLog.stableSnapTo(idx);
      if (idx > r.raftLog.applied) r.raftLog.appliedTo(idx);
    }
    const lastEnt = rd.entries[rd.entries.length - 1];
    if (lastEnt) r.raftLog.stableTo(lastEnt.index, lastEnt.term);
    const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastCommitted) {
      r.raftLog.appliedTo(lastCommitted.index);
      let bytes = 0;
      for (const e of rd.committedEntries) bytes += entryPayloadSize(e);
      r.reduceUncommittedSize(bytes);
    }
    r.selfStable(r.raftLog.stableLastIndex());
    r.maybeAutoLeave();
    r.maybeDeferredTransferCampaign();
  }

  status(): RaftStatus {
    const r = this.raft;
    const progress: Record<NodeId, ProgressStatus> = {};
    if (r.role === 'leader') r.tracker.visit((id, pr) => (progress[id] = pr.toStatus()));
    return {
      id: r.id,
      hardState: r.hardState(),
      softState: r.softState(),
      applied: r.raftLog.applied,
      lastIndex: r.raftLog.lastIndex(),
      config: r.tracker.confState(),
      progress,
      leadTransferee: r.leadTransfereeId(),
    };
  }

  /** The transport could not reach `id`: the leader falls back to probing it. */
  reportUnreachable(id: NodeId): void {
    this.raft.reportUnreachable(id);
  }

  /** The transport's outcome of sending a snapshot to `id`. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.reportSnapshot(id, ok);
  }

  /**
   * For a brand-new node with empty storage: appends committed conf changes adding `peers` as voters. `context`
   * gives each change its context bytes (a runtime keeps members' addresses there, so every replica that replays
   * the log learns them); every node of the new cluster must pass the same peers and contexts.
   */
  bootstrap(peers: NodeId[], context?: (peer: NodeId) => Uint8Array | undefined): void {
    if (peers.length === 0) throw new RaftUsageError('bootstrap: at least one peer is required');
    if (this.raft.raftLog.lastIndex() !== 0) {
      throw new RaftUsageError(
        `bootstrap: ${this.raft.id} already has a log (last index ${this.raft.raftLog.lastIndex()})`,
      );
    }
    const ents: Entry[] = peers.map((p, i) => {
      const ctx = context?.(p);
      return {
        term: 1,
        index: i + 1,
        type: 'conf_change',
        data: encodeConfChange({
          changes: [{ type: 'add_node', nodeId: p }],
          ...(ctx === undefined ? {} : { context: ctx }),
        }),
      };
    });
    this.raft.bootstrapEntries(ents);
    for (const p of peers) this.raft.applyConfChange({ changes: [{ type: 'add_node', nodeId: p }] });
  }
}
