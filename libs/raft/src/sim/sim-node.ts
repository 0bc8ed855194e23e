import { decodeConfChange } from '../core/conf-change-codec.js';
import { ConfChangeError, ProposalDroppedError } from '../core/errors.js';
import { RawNode } from '../core/raw-node.js';
import type {
  ConfState,
  Entry,
  HardState,
  Message,
  NodeId,
  RaftRole,
  Ready,
  Snapshot,
  Storage,
} from '../core/types.js';
import { LevelStorage } from '../storage/level-storage.js';
import { MemoryStorage } from '../storage/memory-storage.js';
import { SessionStateMachine } from '../session/session-state-machine.js';
import type { CheckedNode } from './invariant-checker.js';
import { KvStateMachine } from './kv-state-machine.js';
import type { Prng } from './prng.js';
import type { PendingRead, SimHost } from './sim-host.js';
import type { RaftTuning } from './sim-options.js';

export type SimNodeState = 'up' | 'down' | 'decommissioned';

export interface SimNodeConfig {
  tuning: RaftTuning;
  maxClients: number;
  /** When set, the node runs on a LevelStorage in this directory instead of a MemoryStorage (see SimNode). */
  disk?: { dir: string; clusterId: string };
}

/** A Ready handed to LevelStorage.persist() whose messages, applies and advance wait for the write. */
interface ReadyInWrite {
  raw: RawNode;
  rd: Ready;
  written: Promise<void>;
}

const UNSAFE_SYNC_EVERY_TICKS = 3;
/** Ticks a leader's early-sent write takes to become durable: a slow disk, so crashes often land in the window. */
const LEADER_WRITE_TICKS = 3;
const EMPTY_CONF: ConfState = {
  voters: [],
  learners: [],
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
};
const EMPTY_STORAGE: Storage = new MemoryStorage();

/**
 * One simulated server: a RawNode over a MemoryStorage, the KV state machine behind client sessions, and the
 * driver loop that persists each Ready (snapshot, entries, hard state, then sync when the Ready says it must),
 * THEN sends its messages, then applies committed entries and advances. With `unsafeSendBeforePersist` it sends
 * first and syncs only every few ticks, the bug the invariants must catch.
 *
 * On disk (config.disk) the storage is a LevelStorage: a Ready's write is handed to persist() and everything that
 * depends on it (sends, applies, advance, the next Ready) waits in settle(), which the simulation awaits after each
 * event, before virtual time moves on. Calls arriving while a write is pending queue up and run in order after it,
 * so the node sees the same sequence of inputs as the in-memory driver. A crash drops the handle (close) and a
 * restart reopens the directory: the node comes back with exactly what the disk kept.
 */
export class SimNode implements CheckedNode {
  private readonly memory: MemoryStorage | undefined;
  private disk: LevelStorage | undefined;
  private diskOpen = false;
  /** Opening or closing the disk storage, or a snapshot write: awaited by settle(). */
  private diskWork: Promise<void> | undefined;
  private readyInWrite: ReadyInWrite | undefined;
  /** In memory with leaderSendsFirst: a leader's Ready whose messages left before its write became durable. */
  private leaderWrite: { raw: RawNode; rd: Ready; ticks: number } | undefined;
  private readonly deferred: Array<() => void> = [];
  /** How many times the node restarted from a directory that already held its log. */
  reopens = 0;
  state: SimNodeState = 'down';
  role: RaftRole = 'follower';
  leader: NodeId | '' = '';
  hardState: HardState = { term: 0, vote: '', commit: 0 };
  applied = 0;
  conf: ConfState = EMPTY_CONF;
  pausedUntil = 0;
  /** Messages that reached the node while it was paused, delivered in order when it resumes. */
  readonly inbox: Message[] = [];
  /** `${sessionId}#${seq}` → clients waiting for that write to apply here. */
  readonly waiters = new Map<string, Set<number>>();
  /** Read ctx (hex) → the read waiting for its ReadState and for apply. */
  readonly reads = new Map<string, PendingRead>();
  incarnation = 0;
  private raw: RawNode | undefined;
  private kv = new KvStateMachine();
  private sessions: SessionStateMachine;
  private unsynced = false;
  private ticksSinceSync = 0;
  private readCounter = 0;

  constructor(
    readonly id: NodeId,
    private readonly host: SimHost,
    private readonly config: SimNodeConfig,
    private readonly prng: Prng,
  ) {
    this.sessions = new SessionStateMachine(this.kv, { maxClients: config.maxClients });
    if (!config.disk) this.memory = new MemoryStorage();
  }

  /** The storage the core reads; a node on disk that never opened its directory reads as empty. */
  get storage(): Storage {
    return this.memory ?? this.disk ?? EMPTY_STORAGE;
  }

  /** Whether disk work or a Ready's write is pending: the simulation must await settle() before going on. */
  get busy(): boolean {
    return this.diskWork !== undefined || this.readyInWrite !== undefined;
  }

  get isUp(): boolean {
    return this.state === 'up';
  }

  get term(): number {
    return this.hardState.term;
  }

  get commit(): number {
    return this.hardState.commit;
  }

  isPaused(now: number): boolean {
    return this.pausedUntil > now;
  }

  get rawNode(): RawNode | undefined {
    return this.raw;
  }

  /** Starts (or restarts) the process from what its storage holds, as after a reboot. */
  start(bootstrapPeers?: NodeId[]): void {
    const disk = this.config.disk;
    if (!disk) {
      this.boot(bootstrapPeers);
      return;
    }
    this.chainDiskWork(async () => {
      if (!this.diskOpen) {
        const storage = await LevelStorage.open(disk.dir, {
          nodeId: this.id,
          clusterId: disk.clusterId,
          fsync: false,
        });
        if (this.disk) this.reopens++;
        this.disk = storage;
        this.diskOpen = true;
      }
      // removed from the cluster while its directory was opening
      if (this.state === 'decommissioned') await this.closeDisk();
      else this.boot(bootstrapPeers);
    });
  }

  private boot(bootstrapPeers?: NodeId[]): void {
    const initial = this.storage.initialState();
    this.host.checker.onRestart(this.id, initial.hardState);
    const snapshot = this.storage.snapshot();
    this.kv = new KvStateMachine();
    this.sessions = new SessionStateMachine(this.kv, { maxClients: this.config.maxClients });
    if (snapshot.data.length > 0) this.sessions.restore(snapshot.data);
    this.applied = snapshot.metadata.index;
    this.hardState = { ...initial.hardState };
    this.conf = initial.confState;
    this.role = 'follower';
    this.leader = '';
    this.incarnation++;
    this.raw = new RawNode(
      {
        id: this.id,
        ...this.config.tuning,
        random: () => this.prng.next(),
        applied: this.applied,
      },
      this.storage,
    );
    this.state = 'up';
    if (bootstrapPeers) this.raw.bootstrap(bootstrapPeers);
    this.processReady();
  }

  /**
   * Power loss: everything not synced is gone, and so is all volatile state. On disk the handle is dropped; the
   * simulation settles every write before a crash event, so the directory holds exactly the writes that resolved.
   */
  crash(): void {
    this.memory?.crash();
    this.stopProcess('down');
    if (this.config.disk) this.chainDiskWork(() => this.closeDisk());
  }

  decommission(): void {
    this.stopProcess('decommissioned');
    if (this.config.disk) this.chainDiskWork(() => this.closeDisk());
  }

  /**
   * Runs what waits on disk: pending opens and closes, then each Ready's continuation once its write resolved,
   * the calls that queued up meanwhile, and the Readys they produce, until nothing is pending.
   */
  async settle(): Promise<void> {
    for (;;) {
      const work = this.diskWork;
      if (work) {
        await work;
        if (this.diskWork === work) this.diskWork = undefined;
        continue;
      }
      const pending = this.readyInWrite;
      if (!pending) return;
      await pending.written;
      this.readyInWrite = undefined;
      this.host.checker.onDurable(this.id, this.storage.initialState().hardState);
      if (this.raw !== pending.raw) continue;
      this.afterPersist(pending.raw, pending.rd);
      // as in memory, the Readys this one leaves behind come before the calls that waited (each ends in one)
      this.processReady();
      while (!this.readyInWrite && this.deferred.length > 0) this.deferred.shift()!();
    }
  }

  /** Waits for pending disk work and closes the storage (end of a run, or after a failure). */
  async shutdownDisk(): Promise<void> {
    this.stopProcess(this.state === 'decommissioned' ? 'decommissioned' : 'down');
    try {
      await this.diskWork;
      await this.readyInWrite?.written;
    } finally {
      this.diskWork = undefined;
      this.readyInWrite = undefined;
      await this.closeDisk();
    }
  }

  private chainDiskWork(work: () => Promise<void>): void {
    const previous = this.diskWork ?? Promise.resolve();
    this.diskWork = previous.then(work);
  }

  private async closeDisk(): Promise<void> {
    if (!this.diskOpen || !this.disk) return;
    this.diskOpen = false;
    await this.disk.close();
  }

  /** On disk, a call arriving while a Ready's write is pending runs after it, in arrival order. */
  private deferWhileWriting(call: () => void): boolean {
    if (!this.readyInWrite || this.readyInWrite.raw !== this.raw) return false;
    this.deferred.push(call);
    return true;
  }

  /** Calls whose answer the caller needs at once; the simulation never makes them while a write is pending. */
  private assertNotWriting(what: string): void {
    if (this.readyInWrite) {
      throw new Error(`sim driver: ${what} at ${this.id} while a Ready is being written (settle() first)`);
    }
  }

  tick(): void {
    if (!this.raw) return;
    if (this.deferWhileWriting(() => this.tick())) return;
    // the broken driver syncs in the background, every few ticks
    if (
      this.unsynced &&
      this.host.unsafeSendBeforePersist &&
      ++this.ticksSinceSync >= UNSAFE_SYNC_EVERY_TICKS
    ) {
      this.syncStorage();
    }
    this.completeLeaderWrite();
    this.raw.tick();
    this.processReady();
  }

  /** The leader's in-flight write reaches the disk: only now is its Ready applied and advanced. */
  private completeLeaderWrite(): void {
    const pending = this.leaderWrite;
    if (!pending || ++pending.ticks < LEADER_WRITE_TICKS) return;
    this.leaderWrite = undefined;
    this.syncStorage();
    if (this.raw === pending.raw) this.applyReady(pending.raw, pending.rd);
  }

  /** A burst of ticks without processing anything in between: the process's clock jumped forward. */
  clockJump(ticks: number): void {
    if (!this.raw) return;
    if (this.deferWhileWriting(() => this.clockJump(ticks))) return;
    for (let i = 0; i < ticks; i++) this.raw.tick();
    this.processReady();
  }

  receive(message: Message): void {
    if (!this.raw) return;
    if (this.deferWhileWriting(() => this.receive(message))) return;
    try {
      this.raw.step(message);
    } catch (error) {
      // a forwarded proposal the leader cannot take is dropped, as the client would see
      if (!(error instanceof ProposalDroppedError)) throw error;
    }
    this.processReady();
  }

  reportSnapshot(to: NodeId, ok: boolean): void {
    if (this.deferWhileWriting(() => this.reportSnapshot(to, ok))) return;
    this.raw?.reportSnapshot(to, ok);
    this.processReady();
  }

  reportUnreachable(to: NodeId): void {
    if (this.deferWhileWriting(() => this.reportUnreachable(to))) return;
    this.raw?.reportUnreachable(to);
    this.processReady();
  }

  /** Client write: returns false when the node refused it (no leader known, transfer in progress, ...). */
  propose(client: number, sessionId: string, seq: number, data: Uint8Array): boolean {
    if (!this.raw) return false;
    this.assertNotWriting('propose');
    const key = `${sessionId}#${seq}`;
    try {
      this.raw.propose(data);
    } catch (error) {
      if (error instanceof ProposalDroppedError) return false;
      throw error;
    }
    let waiting = this.waiters.get(key);
    if (!waiting) this.waiters.set(key, (waiting = new Set()));
    waiting.add(client);
    this.processReady();
    return true;
  }

  /** Client read through ReadIndex: answered once a ReadState arrives and the node has applied up to it. */
  read(client: number, opId: number, key: string): void {
    if (!this.raw) return;
    if (this.deferWhileWriting(() => this.read(client, opId, key))) return;
    if (this.host.unsafeLocalReads) {
      this.host.onReadServed(this, { client, opId, key }, this.kv.get(key));
      return;
    }
    const ctx = new Uint8Array(8);
    new DataView(ctx.buffer).setUint32(0, this.incarnation);
    new DataView(ctx.buffer).setUint32(4, ++this.readCounter);
    this.reads.set(hex(ctx), { client, opId, key });
    this.raw.readIndex(ctx);
    this.processReady();
  }

  proposeConfChange(changes: Parameters<RawNode['proposeConfChange']>[0]): boolean {
    if (!this.raw) return false;
    this.assertNotWriting('proposeConfChange');
    try {
      this.raw.proposeConfChange(changes);
    } catch (error) {
      if (error instanceof ProposalDroppedError) return false;
      throw error;
    }
    this.processReady();
    return true;
  }

  transferLeader(to: NodeId): void {
    if (this.deferWhileWriting(() => this.transferLeader(to))) return;
    this.raw?.transferLeader(to);
    this.processReady();
  }

  /** Takes a state machine snapshot at the applied index and compacts the log, keeping `keep` entries. */
  snapshotAndCompact(keep: number): boolean {
    if (!this.raw) return false;
    this.assertNotWriting('snapshotAndCompact');
    const current = this.storage.snapshot().metadata.index;
    if (this.applied <= current) return false;
    const compactTo = this.applied - keep;
    const disk = this.disk;
    if (!this.memory && disk) {
      const written = disk.createSnapshot(this.applied, this.conf, this.sessions.snapshot(), compactTo);
      this.chainDiskWork(async () => {
        await written;
        this.host.checker.onDurable(this.id, disk.initialState().hardState);
      });
      return true;
    }
    const memory = this.memory!;
    memory.createSnapshot(this.applied, this.conf, this.sessions.snapshot());
    if (compactTo >= memory.firstIndex()) memory.compact(compactTo);
    this.syncStorage();
    return true;
  }

  /** The state machine's snapshot bytes (sessions and KV): equal bytes on two nodes mean equal states. */
  stateFingerprint(): Uint8Array {
    return this.sessions.snapshot();
  }

  processReady(): void {
    const raw = this.raw;
    if (!raw) return;
    if (!this.memory) {
      this.startReadyWrite(raw);
      return;
    }
    while (this.raw === raw && !this.leaderWrite && raw.hasReady()) {
      const rd = raw.ready();
      if (this.host.unsafeSendBeforePersist) {
        this.host.send(this, rd.messages);
        this.persist(rd, false);
      } else if (
        this.host.leaderSendsFirst &&
        (rd.softState?.role ?? this.role) === 'leader' &&
        (rd.mustSync || rd.snapshot !== undefined)
      ) {
        this.host.send(this, rd.messages);
        this.persist(rd, false);
        this.leaderWrite = { raw, rd, ticks: 0 };
        return;
      } else {
        // a correct driver may skip the fsync when the core says nothing needs it (commit-only changes): a crash
        // then loses those writes, which the core must tolerate
        this.persist(rd, rd.mustSync || rd.snapshot !== undefined);
        this.host.send(this, rd.messages);
      }
      this.applyReady(raw, rd);
    }
  }

  /** On disk: hands the next Ready's writes to persist(); settle() continues once they resolved. */
  private startReadyWrite(raw: RawNode): void {
    if (this.readyInWrite || !this.disk || !raw.hasReady()) return;
    const rd = raw.ready();
    const update = {
      entries: rd.entries,
      ...(rd.snapshot ? { snapshot: rd.snapshot } : {}),
      ...(rd.hardState ? { hardState: rd.hardState } : {}),
    };
    const written = this.disk.persist(update, rd.mustSync || rd.snapshot !== undefined);
    if (rd.entries.length > 0) this.host.checker.onAppend(this.id, this.storage, rd.entries);
    this.readyInWrite = { raw, rd, written };
  }

  private afterPersist(raw: RawNode, rd: Ready): void {
    this.host.send(this, rd.messages);
    this.applyReady(raw, rd);
  }

  /** What follows a Ready's persist and send: bookkeeping, snapshot restore, applies, reads, advance. */
  private applyReady(raw: RawNode, rd: Ready): void {
    if (rd.hardState) {
      this.host.checker.onHardState(this.id, this.hardState, rd.hardState, 'in-memory');
      this.hardState = { ...rd.hardState };
    }
    if (rd.softState) this.updateSoftState(rd.softState.role, rd.softState.leader);
    if (rd.snapshot && rd.snapshot.metadata.index > 0) this.restoreSnapshot(rd.snapshot);
    for (const entry of rd.committedEntries) this.applyEntry(raw, entry);
    for (const state of rd.readStates) {
      const read = this.reads.get(hex(state.requestCtx));
      if (read) read.index = state.index;
    }
    raw.advance(rd);
    this.serveReads();
  }

  private persist(rd: Ready, sync: boolean): void {
    const memory = this.memory!;
    if (rd.snapshot) memory.applySnapshot(rd.snapshot);
    if (rd.entries.length > 0) {
      memory.append(rd.entries);
      this.host.checker.onAppend(this.id, memory, rd.entries);
    }
    if (rd.hardState) memory.setHardState(rd.hardState);
    if (sync) this.syncStorage();
    else if (rd.snapshot || rd.entries.length > 0 || rd.hardState) this.unsynced = true;
  }

  private syncStorage(): void {
    const memory = this.memory!;
    memory.sync();
    this.unsynced = false;
    this.ticksSinceSync = 0;
    this.host.checker.onDurable(this.id, memory.initialState().hardState);
  }

  private updateSoftState(role: RaftRole, leader: NodeId | ''): void {
    const previous = this.role;
    this.role = role;
    this.leader = leader;
    if (role === 'leader') this.host.checker.onLeader(this.id, this.hardState.term);
    if (previous !== role || this.host.tracing) this.host.onRoleChange(this, previous, leader);
  }

  private restoreSnapshot(snapshot: Snapshot): void {
    this.host.checker.onSnapshotRestored(this, snapshot.metadata);
    this.kv = new KvStateMachine();
    this.sessions = new SessionStateMachine(this.kv, { maxClients: this.config.maxClients });
    if (snapshot.data.length > 0) this.sessions.restore(snapshot.data);
    this.applied = snapshot.metadata.index;
    this.conf = snapshot.metadata.confState;
    this.host.onConfApplied(this, snapshot.metadata.index, this.conf);
  }

  private applyEntry(raw: RawNode, entry: Entry): void {
    this.host.checker.onApply(this, entry);
    if (entry.type === 'conf_change') {
      try {
        this.conf = raw.applyConfChange(decodeConfChange(entry.data));
        this.host.onConfApplied(this, entry.index, this.conf);
      } catch (error) {
        if (!(error instanceof ConfChangeError)) throw error;
        if (this.host.tracing)
          this.host.trace(`${this.id} conf change ${entry.index} refused: ${error.message}`);
      }
      this.applied = entry.index;
      return;
    }
    const result = this.sessions.apply(entry.data, entry.index);
    this.applied = entry.index;
    if (result.status !== 'noop') this.host.onSessionResult(this, result);
  }

  private serveReads(): void {
    for (const [ctx, read] of this.reads) {
      if (read.index === undefined || read.index > this.applied) continue;
      this.reads.delete(ctx);
      this.host.onReadServed(this, read, this.kv.get(read.key));
    }
  }

  private stopProcess(state: SimNodeState): void {
    this.raw = undefined;
    this.leaderWrite = undefined;
    this.state = state;
    this.role = 'follower';
    this.leader = '';
    this.unsynced = false;
    this.pausedUntil = 0;
    this.inbox.length = 0;
    this.waiters.clear();
    this.reads.clear();
    this.deferred.length = 0;
  }
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
