import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { decodeConfChange } from '../core/conf-change-codec.js';
import { ConfChangeError, RaftUsageError } from '../core/errors.js';
import { RawNode } from '../core/raw-node.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  Message,
  NodeId,
  RaftLogger,
  Ready,
  Snapshot,
} from '../core/types.js';
import type { PersistentStorage } from '../storage/persistent-storage.js';
import { ByteReader } from '../session/byte-reader.js';
import { ByteWriter } from '../session/byte-writer.js';
import {
  decodeCommand,
  decodeMemberContext,
  encodeCommand,
  encodeMemberContext,
  PROPOSER_TOKEN_BYTES,
  sameToken,
  type ProposalOrigin,
} from './node-entry.codec.js';
import { decodeNodeSnapshot, encodeNodeSnapshot } from './node-snapshot.codec.js';
import { PendingCalls } from './pending-calls.js';
import {
  RaftNodeStoppedError,
  RaftStorageFailedError,
  RaftTimeoutError,
  ReadIndexLostError,
} from './raft-node.errors.js';
import type { LeaderChange, RaftNodeMetrics, RaftNodeOptions, RaftNodeStatus } from './raft-node.options.js';

const JOIN_REQUEST = 'raft.join';
const SWEEP_INTERVAL_MS = 50;
const EMPTY_CONF: ConfState = {
  voters: [],
  learners: [],
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
};

const silentLogger: RaftLogger = { debug() {}, info() {}, warn() {}, error() {} };

interface PendingRead {
  run(): void;
  fail(error: Error): void;
}

/**
 * Drives a RawNode with real time, durable storage and a network: ticks on a timer, persists every Ready before
 * sending what depends on it, applies committed entries to the user's state machine, and turns proposals and
 * ReadIndex reads into promises. Everything that arrives while a write is on its way to disk is gathered into the
 * next Ready, so one fsync carries many proposals (group commit).
 *
 * Events: 'leader' (LeaderChange), 'fatal' (Error: storage failed, the node stopped).
 */
export class RaftNode extends EventEmitter {
  readonly id: NodeId;
  private readonly storage: PersistentStorage;
  private readonly opts: RaftNodeOptions;
  private readonly logger: RaftLogger;
  private readonly token = new Uint8Array(randomBytes(PROPOSER_TOKEN_BYTES));
  private raw: RawNode | undefined;
  private seq = 0;
  private readonly proposals = new PendingCalls<number, Uint8Array>();
  /** Reads waiting for a ReadIndex round to be started: they share the next one. */
  private readsToIssue: PendingRead[] = [];
  /** ReadIndex rounds in flight, by ctx key. */
  private readonly readRounds = new Map<string, { reads: PendingRead[]; deadline: number }>();
  /** Rounds whose index is known, waiting for apply to reach it (ascending index). */
  private readyReads: Array<{ index: number; reads: PendingRead[] }> = [];
  private readCounter = 0;
  private addresses = new Map<NodeId, string>();
  private conf: ConfState = EMPTY_CONF;
  private applied = 0;
  private snapshotIndex = 0;
  private leader: NodeId | '' = '';
  private role: RaftNodeStatus['role'] = 'follower';
  private term = 0;
  private commit = 0;
  private driving = false;
  private driveScheduled = false;
  private stopped = false;
  private started = false;
  private ticker: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private drained: Promise<void> = Promise.resolve();
  private readonly counters: RaftNodeMetrics = {
    proposals: 0,
    proposalsFailed: 0,
    applied: 0,
    reads: 0,
    readIndexRounds: 0,
    readies: 0,
    persists: 0,
    fsyncs: 0,
    snapshotsTaken: 0,
    snapshotsRestored: 0,
    leaderChanges: 0,
  };
  private address = '';

  constructor(options: RaftNodeOptions) {
    super();
    if (!options.id) throw new RaftUsageError('RaftNode: id must not be empty');
    this.id = options.id;
    this.opts = options;
    this.storage = options.storage;
    this.logger = options.logger ?? silentLogger;
  }

  /** The address this node's transport is reachable at (after start). */
  get advertisedAddress(): string {
    return this.address;
  }

  /**
   * Starts the transport and the clock. A founding member with empty storage bootstraps the cluster; a node with
   * empty storage and `join` addresses asks a member to add it and resolves once a member accepted it.
   */
  async start(): Promise<void> {
    if (this.started) throw new RaftUsageError(`RaftNode ${this.id}: start() called twice`);
    this.started = true;
    const heartbeatMs = this.opts.heartbeatIntervalMs ?? 100;
    const electionMs = this.opts.electionTimeoutMs ?? 1000;
    const electionTick = Math.max(2, Math.round(electionMs / 2 / heartbeatMs));
    if (!(heartbeatMs > 0) || !(electionMs > heartbeatMs * 2)) {
      throw new RaftUsageError(
        `RaftNode ${this.id}: electionTimeoutMs (${electionMs}) must exceed 2 × heartbeatIntervalMs (${heartbeatMs})`,
      );
    }

    const bound = await this.opts.transport.start({
      onMessage: (m) => this.onMessage(m),
      onUnreachable: (peer) => {
        this.raw?.reportUnreachable(peer);
        this.scheduleDrive();
      },
      onSnapshotStatus: (peer, ok) => {
        this.raw?.reportSnapshot(peer, ok);
        this.scheduleDrive();
      },
      onRequest: (kind, body) => this.onRequest(kind, body),
    });
    this.address = this.opts.advertiseAddress ?? bound;

    const initial = this.storage.initialState();
    const snap = this.storage.snapshot();
    this.conf = snap.metadata.index > 0 ? snap.metadata.confState : initial.confState;
    if (snap.metadata.index > 0) this.restoreFrom(snap);
    this.applied = snap.metadata.index;
    this.snapshotIndex = snap.metadata.index;
    this.term = initial.hardState.term;
    this.commit = initial.hardState.commit;
    for (const [id, address] of Object.entries(this.opts.initialMembers ?? {}))
      this.learnAddress(id, address);

    this.raw = new RawNode(
      {
        id: this.id,
        electionTick,
        heartbeatTick: 1,
        random: Math.random,
        preVote: true,
        checkQuorum: true,
        applied: this.applied,
        logger: this.logger,
        ...this.opts.raft,
      },
      this.storage,
    );

    const fresh = this.storage.lastIndex() === 0 && snap.metadata.index === 0;
    const founders = this.opts.initialMembers ?? {};
    if (fresh && this.id in founders) {
      const ids = Object.keys(founders).sort();
      this.raw.bootstrap(ids, (peer) => encodeMemberContext({ address: founders[peer]! }));
    }

    this.ticker = setInterval(() => {
      this.raw?.tick();
      this.scheduleDrive();
    }, heartbeatMs);
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.scheduleDrive();

    if (fresh && !(this.id in founders)) {
      if (!this.opts.join?.length) {
        throw new RaftUsageError(
          `RaftNode ${this.id}: empty storage, not among initialMembers and no join addresses: nothing to start from`,
        );
      }
      await this.joinThrough(this.opts.join);
    }
  }

  /** Replicates `command` and resolves with the state machine's result once it is applied on this node. */
  propose(command: Uint8Array): Promise<Uint8Array> {
    const origin: ProposalOrigin = { proposer: this.token, seq: ++this.seq };
    this.counters.proposals++;
    try {
      this.live().propose(encodeCommand(origin, command));
    } catch (error) {
      this.counters.proposalsFailed++;
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const done = this.proposals.add(origin.seq, this.opts.proposalTimeoutMs ?? 10_000);
    this.scheduleDrive();
    return done;
  }

  /**
   * Linearizable read: runs `query` against the local state machine once this node has applied everything the
   * leader had committed when the read was asked (ReadIndex). Reads asked together share one round.
   */
  read<T>(query: () => T): Promise<T> {
    if (this.stopped || !this.raw) return Promise.reject(new RaftNodeStoppedError(this.id));
    this.counters.reads++;
    return new Promise<T>((resolve, reject) => {
      this.readsToIssue.push({
        run: () => {
          try {
            resolve(query());
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        },
        fail: reject,
      });
      this.scheduleDrive();
    });
  }

  /** Adds a voter (or learner) with its address; resolves when the change is applied here. Idempotent. */
  async addMember(id: NodeId, address: string, asLearner = false): Promise<void> {
    const raw = this.live();
    const already = asLearner ? this.conf.learners : this.conf.voters;
    if (already.includes(id) && this.addresses.get(id) === address) return;
    const origin: ProposalOrigin = { proposer: this.token, seq: ++this.seq };
    const cc: ConfChange = {
      changes: [{ type: asLearner ? 'add_learner' : 'add_node', nodeId: id }],
      context: encodeMemberContext({ address, origin }),
    };
    raw.proposeConfChange(cc);
    const done = this.proposals.add(origin.seq, this.opts.proposalTimeoutMs ?? 10_000);
    this.scheduleDrive();
    await done;
  }

  async removeMember(id: NodeId): Promise<void> {
    const raw = this.live();
    const origin: ProposalOrigin = { proposer: this.token, seq: ++this.seq };
    raw.proposeConfChange({
      changes: [{ type: 'remove_node', nodeId: id }],
      context: encodeMemberContext({ address: this.addresses.get(id) ?? '', origin }),
    });
    const done = this.proposals.add(origin.seq, this.opts.proposalTimeoutMs ?? 10_000);
    this.scheduleDrive();
    await done;
  }

  transferLeadership(to: NodeId): void {
    this.live().transferLeader(to);
    this.scheduleDrive();
  }

  /** Starts an election now (tests, operator actions). */
  campaign(): void {
    this.live().campaign();
    this.scheduleDrive();
  }

  isLeader(): boolean {
    return this.role === 'leader';
  }

  leaderId(): NodeId | '' {
    return this.leader;
  }

  leaderAddress(): string | undefined {
    return this.leader ? this.addresses.get(this.leader) : undefined;
  }

  status(): RaftNodeStatus {
    const core = this.raw?.status();
    const followers: RaftNodeStatus['followers'] = {};
    for (const [id, pr] of Object.entries(core?.progress ?? {})) {
      followers[id] = { match: pr.match, recentActive: pr.recentActive };
    }
    return {
      id: this.id,
      role: this.role,
      leader: this.leader,
      term: this.term,
      commit: this.commit,
      applied: this.applied,
      lastIndex: core ? core.lastIndex : this.storage.lastIndex(),
      snapshotIndex: this.snapshotIndex,
      voters: [...this.conf.voters],
      learners: [...this.conf.learners],
      members: Object.fromEntries(this.addresses),
      followers,
    };
  }

  metrics(): RaftNodeMetrics {
    return { ...this.counters };
  }

  /** Stops the clock, fails what is pending, waits for the write in progress, closes transport and storage. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.ticker);
    clearInterval(this.sweeper);
    const stoppedError = () => new RaftNodeStoppedError(this.id);
    this.proposals.rejectAll(stoppedError);
    this.failAllReads(stoppedError);
    await this.drained;
    this.raw = undefined;
    await this.opts.transport.close();
    await this.storage.close();
  }

  private live(): RawNode {
    if (this.stopped || !this.raw) throw new RaftNodeStoppedError(this.id);
    return this.raw;
  }

  private onMessage(m: Message): void {
    const raw = this.raw;
    if (!raw || this.stopped) return;
    try {
      raw.step(m);
    } catch (error) {
      // a message the core refuses (from a removed node, a local type on the wire) is dropped, not fatal
      this.logger.warn(`raft node ${this.id}: dropped ${m.type} from ${m.from}: ${String(error)}`);
    }
    this.scheduleDrive();
  }

  private scheduleDrive(): void {
    if (this.driving || this.driveScheduled || this.stopped) return;
    this.driveScheduled = true;
    // A microtask: an idle node answers at once (a turn of the event loop per hop was a third of a lone client's
    // latency); under load the loop is busy awaiting its disk write, and what arrives meanwhile joins the next Ready.
    queueMicrotask(() => {
      this.driveScheduled = false;
      if (!this.driving) this.drained = this.drive();
    });
  }

  private async drive(): Promise<void> {
    this.driving = true;
    try {
      for (;;) {
        const raw = this.raw;
        if (!raw || this.stopped) return;
        this.issueReads(raw);
        if (!raw.hasReady()) return;
        const rd = raw.ready();
        this.counters.readies++;
        // A leader's messages may leave while its own disk write is in flight (Raft thesis §10.2.1): it counts
        // its own copy of new entries only once advance() marks them stable, so nothing commits on a copy that
        // a crash could still take away. Everyone else persists first (votes, terms and acks must be durable).
        if (!rd.mustSync && rd.snapshot === undefined) {
          // Nothing in this Ready has to reach the disk first: its committed entries were persisted by earlier
          // Readies and a commit index need not be durable. Apply first and let the callers' continuations (a
          // client's answer) run before this Ready's messages take their socket writes.
          this.handleReady(raw, rd);
          await Promise.resolve();
          if (this.raw !== raw || this.stopped) return;
          this.opts.transport.send(rd.messages);
          await this.persist(rd);
          if (this.raw !== raw || this.stopped) return;
        } else {
          const leaderFirst = (rd.softState?.role ?? this.role) === 'leader';
          if (leaderFirst) this.opts.transport.send(rd.messages);
          await this.persist(rd);
          if (this.raw !== raw || this.stopped) return;
          if (!leaderFirst) this.opts.transport.send(rd.messages);
          this.handleReady(raw, rd);
        }
        raw.advance(rd);
        this.serveReads();
        await this.maybeSnapshot();
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.driving = false;
      if (!this.stopped && this.raw?.hasReady()) this.scheduleDrive();
    }
  }

  private async persist(rd: Ready): Promise<void> {
    if (!rd.snapshot && rd.entries.length === 0 && !rd.hardState) return;
    const sync = rd.mustSync || rd.snapshot !== undefined;
    this.counters.persists++;
    if (sync) this.counters.fsyncs++;
    const write = this.storage.persist(
      {
        ...(rd.snapshot ? { snapshot: rd.snapshot } : {}),
        entries: rd.entries,
        ...(rd.hardState ? { hardState: rd.hardState } : {}),
      },
      sync,
    );
    // Nothing sent or applied depends on a write the core does not need synced (a commit index moving forward:
    // it is re-learned from the leader after a crash), so it goes to disk in the background, in order; only its
    // failure matters.
    if (sync) await write;
    else write.catch((error: unknown) => this.fail(error));
  }

  private handleReady(raw: RawNode, rd: Ready): void {
    if (rd.hardState) {
      this.term = rd.hardState.term;
      this.commit = rd.hardState.commit;
    }
    if (rd.softState) {
      const previousLeader = this.leader;
      this.role = rd.softState.role;
      this.leader = rd.softState.leader;
      if (previousLeader !== this.leader) {
        this.counters.leaderChanges++;
        // a round sent to the old leader will never be answered: let the caller retry at once
        this.failIssuedReads(() => new ReadIndexLostError(this.id, this.leader));
        const change: LeaderChange = {
          leader: this.leader,
          term: this.term,
          isLeader: this.leader === this.id,
        };
        this.emit('leader', change);
      }
    }
    if (rd.snapshot && rd.snapshot.metadata.index > 0) {
      this.restoreFrom(rd.snapshot);
      this.conf = rd.snapshot.metadata.confState;
      this.applied = rd.snapshot.metadata.index;
      this.snapshotIndex = rd.snapshot.metadata.index;
      this.counters.snapshotsRestored++;
    }
    for (const entry of rd.committedEntries) this.apply(raw, entry);
    for (const state of rd.readStates) {
      const round = this.readRounds.get(ctxKey(state.requestCtx));
      if (!round) continue;
      this.readRounds.delete(ctxKey(state.requestCtx));
      this.readyReads.push({ index: state.index, reads: round.reads });
    }
    if (rd.readStates.length > 1) this.readyReads.sort((a, b) => a.index - b.index);
  }

  private apply(raw: RawNode, entry: Entry): void {
    this.applied = entry.index;
    this.counters.applied++;
    if (entry.type === 'conf_change') {
      this.applyConfChange(raw, entry);
      return;
    }
    if (entry.data.length === 0) return; // a new leader's no-op
    let command;
    try {
      command = decodeCommand(entry.data, entry.index);
    } catch (error) {
      // every replica sees the same bytes and skips them alike, so the replicas stay equal
      this.logger.error(`raft node ${this.id}: skipped entry ${entry.index}: ${String(error)}`);
      return;
    }
    const mine = sameToken(command.proposer, this.token);
    try {
      const result = this.opts.stateMachine.apply(command.payload, entry.index);
      if (mine) this.proposals.resolve(command.seq, result);
    } catch (error) {
      // the state machine is deterministic: it threw on every replica; the proposer learns why
      if (mine) this.proposals.reject(command.seq, error instanceof Error ? error : new Error(String(error)));
      else this.logger.warn(`raft node ${this.id}: entry ${entry.index} failed to apply: ${String(error)}`);
    }
  }

  private applyConfChange(raw: RawNode, entry: Entry): void {
    const cc = decodeConfChange(entry.data);
    let origin: ProposalOrigin | undefined;
    if (cc.context && cc.context.length > 0) {
      try {
        const ctx = decodeMemberContext(cc.context);
        origin = ctx.origin;
        for (const change of cc.changes) {
          if (change.type !== 'remove_node' && ctx.address) this.learnAddress(change.nodeId, ctx.address);
        }
      } catch (error) {
        this.logger.warn(
          `raft node ${this.id}: conf change ${entry.index} has an unreadable context: ${String(error)}`,
        );
      }
    }
    const mine = origin !== undefined && sameToken(origin.proposer, this.token);
    try {
      this.conf = raw.applyConfChange(cc);
      for (const change of cc.changes) {
        if (change.type === 'remove_node' && change.nodeId !== this.id) {
          this.addresses.delete(change.nodeId);
          this.opts.transport.removePeer(change.nodeId);
        }
      }
      if (mine) this.proposals.resolve(origin!.seq, new Uint8Array(0));
    } catch (error) {
      if (!(error instanceof ConfChangeError)) throw error;
      if (mine) this.proposals.reject(origin!.seq, error);
    }
  }

  private issueReads(raw: RawNode): void {
    if (this.readsToIssue.length === 0) return;
    const reads = this.readsToIssue;
    this.readsToIssue = [];
    if (this.leader === '') {
      // the core would drop the round silently; the caller can retry once a leader is known
      const error = new ReadIndexLostError(this.id, '');
      for (const read of reads) read.fail(error);
      return;
    }
    const ctx = new ByteWriter().bytes(this.token).u64(++this.readCounter).finish();
    this.readRounds.set(ctxKey(ctx), {
      reads,
      deadline: performance.now() + (this.opts.readTimeoutMs ?? 5_000),
    });
    this.counters.readIndexRounds++;
    raw.readIndex(ctx);
  }

  private serveReads(): void {
    while (this.readyReads.length > 0 && this.readyReads[0]!.index <= this.applied) {
      for (const read of this.readyReads.shift()!.reads) read.run();
    }
  }

  private async maybeSnapshot(): Promise<void> {
    const interval = this.opts.snapshotInterval ?? 10_000;
    if (this.applied - this.snapshotIndex < interval) return;
    const index = this.applied;
    const data = encodeNodeSnapshot({ addresses: this.addresses, state: this.opts.stateMachine.snapshot() });
    const keep = this.opts.snapshotKeepEntries ?? 5_000;
    const compactTo = Math.max(this.snapshotIndex, index - keep);
    await this.storage.createSnapshot(index, this.conf, data, compactTo);
    this.snapshotIndex = index;
    this.counters.snapshotsTaken++;
  }

  private restoreFrom(snapshot: Snapshot): void {
    if (snapshot.data.length === 0) {
      this.opts.stateMachine.restore(new Uint8Array(0));
      return;
    }
    const decoded = decodeNodeSnapshot(snapshot.data);
    this.opts.stateMachine.restore(decoded.state);
    for (const [id, address] of decoded.addresses) this.learnAddress(id, address);
  }

  private learnAddress(id: NodeId, address: string): void {
    if (!address || this.addresses.get(id) === address) return;
    this.addresses.set(id, address);
    if (id !== this.id) this.opts.transport.setPeer(id, address);
  }

  private async onRequest(kind: string, body: Uint8Array): Promise<Uint8Array> {
    if (kind !== JOIN_REQUEST)
      throw new Error(`raft node ${this.id}: unknown request kind ${JSON.stringify(kind)}`);
    const reader = new ByteReader(body, 'JoinRequest');
    const id = reader.string('id', 256);
    const address = reader.string('address', 512);
    reader.end();
    await this.addMember(id, address);
    const writer = new ByteWriter().u32(this.addresses.size);
    for (const [member, addr] of this.addresses) writer.string(member).string(addr);
    return writer.finish();
  }

  private async joinThrough(addresses: string[]): Promise<void> {
    const timeoutMs = this.opts.joinTimeoutMs ?? 10_000;
    const deadline = performance.now() + timeoutMs;
    const body = new ByteWriter().string(this.id).string(this.address).finish();
    const errors: string[] = [];
    for (let attempt = 0; performance.now() < deadline && !this.stopped; attempt++) {
      const target = addresses[attempt % addresses.length]!;
      try {
        const reply = await this.opts.transport.request(
          target,
          JOIN_REQUEST,
          body,
          Math.min(5_000, timeoutMs),
        );
        const reader = new ByteReader(reply, 'JoinReply');
        const count = reader.u32('members');
        for (let i = 0; i < count; i++)
          this.learnAddress(reader.string('id', 256), reader.string('address', 512));
        return;
      } catch (error) {
        errors.push(`${target}: ${error instanceof Error ? error.message : String(error)}`);
        await new Promise((r) => setTimeout(r, Math.min(1_000, 100 * 2 ** Math.min(attempt, 4))));
      }
    }
    throw new RaftTimeoutError('join', this.id, timeoutMs, errors.slice(-addresses.length).join('; '));
  }

  private sweep(): void {
    const now = performance.now();
    this.proposals.expire(now, () => {
      this.counters.proposalsFailed++;
      return new RaftTimeoutError('proposal', this.id, this.opts.proposalTimeoutMs ?? 10_000);
    });
    for (const [key, round] of this.readRounds) {
      if (round.deadline > now) continue;
      this.readRounds.delete(key);
      const error = new RaftTimeoutError('read', this.id, this.opts.readTimeoutMs ?? 5_000);
      for (const read of round.reads) read.fail(error);
    }
  }

  private failIssuedReads(error: () => Error): void {
    for (const round of this.readRounds.values()) for (const read of round.reads) read.fail(error());
    this.readRounds.clear();
  }

  private failAllReads(error: () => Error): void {
    this.failIssuedReads(error);
    for (const read of this.readsToIssue) read.fail(error());
    this.readsToIssue = [];
    for (const ready of this.readyReads) for (const read of ready.reads) read.fail(error());
    this.readyReads = [];
  }

  private fail(error: unknown): void {
    const fatal = new RaftStorageFailedError(this.id, error);
    this.logger.error(fatal.message);
    this.emit('fatal', fatal);
    void this.stop().catch(() => undefined);
  }
}

function ctxKey(ctx: Uint8Array): string {
  return Buffer.from(ctx.buffer, ctx.byteOffset, ctx.byteLength).toString('latin1');
}
