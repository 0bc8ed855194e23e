import {
  decodeConfChange,
  MemoryStorage,
  RawNode,
  type ConfChange,
  type ConfChangeSingle,
  type Entry,
  type Message,
  type MessageType,
  type NodeId,
  type RaftConfig,
  type RaftLogger,
  type ReadOnlyOption,
  type Ready,
  type Snapshot,
} from '../../src/index.js';
import type { CmdArg, TestCase } from './datadriven.js';

const dec = new TextDecoder();
const enc = new TextEncoder();

/** Deterministic PRNG (mulberry32) so a script replays identically. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function str(b: Uint8Array | undefined): string {
  return b ? dec.decode(b) : '';
}

export function fmtEntry(e: Entry): string {
  if (e.type === 'conf_change') {
    return `${e.term}/${e.index} ConfChange ${fmtConfChange(decodeConfChange(e.data))}`;
  }
  return `${e.term}/${e.index} ${JSON.stringify(str(e.data))}`;
}

export function fmtConfChange(cc: ConfChange): string {
  const parts = cc.changes.map(
    (c) => `${c.type === 'add_node' ? 'v' : c.type === 'add_learner' ? 'l' : 'r'}${c.nodeId}`,
  );
  let s = parts.length === 0 ? 'leave-joint' : parts.join(' ');
  if (cc.transition) s += ` transition=${cc.transition}`;
  return s;
}

export function fmtSnapshotMeta(s: Snapshot): string {
  const cs = s.metadata.confState;
  let c = `voters=(${cs.voters.join(' ')})`;
  if (cs.votersOutgoing.length > 0) c += `&&(${cs.votersOutgoing.join(' ')})`;
  if (cs.learners.length > 0) c += ` learners=(${cs.learners.join(' ')})`;
  if (cs.learnersNext.length > 0) c += ` learners_next=(${cs.learnersNext.join(' ')})`;
  if (cs.autoLeave) c += ' autoleave';
  return `index=${s.metadata.index} term=${s.metadata.term} ${c}`;
}

export function fmtMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  switch (m.type) {
    case 'app':
      s += ` log=${m.logTerm}/${m.index} commit=${m.commit}`;
      if (m.entries.length > 0) s += ` entries=[${m.entries.map(fmtEntry).join(', ')}]`;
      break;
    case 'app_resp':
      s += ` index=${m.index}`;
      if (m.reject) s += ` reject hint=${m.rejectHint}/${m.logTerm}`;
      break;
    case 'vote':
    case 'prevote':
      s += ` log=${m.logTerm}/${m.index}`;
      break;
    case 'vote_resp':
    case 'prevote_resp':
      if (m.reject) s += ' reject';
      break;
    case 'heartbeat':
      s += ` commit=${m.commit}`;
      break;
    case 'snap':
      if (m.snapshot) s += ` snapshot[${fmtSnapshotMeta(m.snapshot)}]`;
      if (m.chunk) s += ` chunk=${m.chunk.index + 1}/${m.chunk.total} bytes=${m.snapshot?.data.length ?? 0}`;
      break;
    case 'snap_status':
      s += ` index=${m.index}${m.reject ? ' reject' : ''}`;
      break;
    case 'read_index_resp':
      s += ` index=${m.index}`;
      break;
    case 'prop':
      s += ` entries=[${m.entries.map(fmtEntry).join(', ')}]`;
      break;
    default:
      if (m.reject) s += ' reject';
  }
  if (m.context && m.context.length > 0 && m.type !== 'vote' && m.type !== 'prevote')
    s += ` ctx=${str(m.context)}`;
  if (m.context && (m.type === 'vote' || m.type === 'prevote') && m.context.length > 0) s += ' (transfer)';
  return s;
}

interface EnvNode {
  id: NodeId;
  storage: MemoryStorage;
  config: RaftConfig;
  rn: RawNode | undefined;
  /** Normal entries applied to this node's state machine (the snapshot data restores it). */
  applied: string[];
  /** A Ready persisted without sync and never finished (process-ready stop-before-sync). */
  halted: boolean;
}

/**
 * The datadriven interaction environment: a set of RawNodes over MemoryStorage, a network of pending messages
 * with partitions, and commands that print what the nodes do.
 */
export class InteractionEnv {
  private readonly nodes = new Map<NodeId, EnvNode>();
  private pending: Message[] = [];
  private readonly cut = new Set<string>();
  private out: string[] = [];
  private nextId = 1;
  /** Duplicates kept back by `duplicate-msgs ... hold` until `release-held`. */
  private held: Message[] = [];
  /** Summarize Ready messages instead of listing them. */
  private quiet = false;

  private log(line: string): void {
    this.out.push(line);
  }

  private logger(id: NodeId): RaftLogger {
    void id;
    const push = (level: string) => (msg: string) => this.log(`${level} ${msg}`);
    return { debug: () => {}, info: push('INFO'), warn: push('WARN'), error: push('ERROR') };
  }

  run(tc: TestCase): string {
    this.out = [];
    try {
      this.dispatch(tc);
    } catch (e) {
      this.log(`error: ${e instanceof Error ? e.message : String(e)}`);
    }
    const res = this.out.join('\n').trimEnd();
    return res === '' ? 'ok' : res;
  }

  private dispatch(tc: TestCase): void {
    const a = tc.args;
    switch (tc.command) {
      case 'add-nodes':
        return this.addNodes(a);
      case 'campaign':
        return this.node(pos(a, 0)).campaign();
      case 'propose':
        return this.propose(pos(a, 0), pos(a, 1));
      case 'propose-conf-change':
        return this.proposeConfChange(a);
      case 'process-ready':
        return this.processReadyCmd(a);
      case 'deliver-msgs':
        return this.deliverCmd(a);
      case 'drop-msgs':
        return this.dropCmd(a);
      case 'duplicate-msgs':
        return this.duplicateCmd(a);
      case 'release-held':
        for (const m of this.held) this.log(`released: ${fmtMessage(m)}`);
        this.pending.push(...this.held);
        this.held = [];
        return;
      case 'corrupt-snap':
        return this.corruptSnap(a);
      case 'stabilize':
        return this.stabilize(positionals(a));
      case 'tick-heartbeat':
        return this.tickHeartbeat(positionals(a));
      case 'tick-election':
        return this.tickElection(positionals(a));
      case 'tick':
        return this.tickN(pos(a, 0), Number(pos(a, 1)));
      case 'run-ticks':
        return this.runTicks(Number(pos(a, 0)));
      case 'partition':
        return this.partition(a);
      case 'cut':
        return this.cutLink(pos(a, 0), pos(a, 1));
      case 'heal':
        this.cut.clear();
        return;
      case 'read-index':
        return this.node(pos(a, 0)).readIndex(enc.encode(pos(a, 1)));
      case 'transfer-leader':
        return this.node(pos(a, 0)).transferLeader(pos(a, 1));
      case 'compact':
        return this.compact(pos(a, 0), Number(pos(a, 1)));
      case 'crash':
        return this.crash(pos(a, 0));
      case 'restart':
        return this.restart(pos(a, 0));
      case 'status':
        return this.status(pos(a, 0));
      case 'raft-log':
        return this.raftLog(pos(a, 0));
      case 'raft-state':
        return this.raftState();
      case 'state':
        return this.printState(pos(a, 0));
      case 'report-snapshot':
        return this.node(pos(a, 0)).reportSnapshot(pos(a, 1), pos(a, 2) !== 'fail');
      case 'report-unreachable':
        return this.node(pos(a, 0)).reportUnreachable(pos(a, 1));
      default:
        throw new Error(`unknown command ${tc.command}`);
    }
  }

  // ---- setup ----

  private addNodes(a: CmdArg[]): void {
    const n = Number(pos(a, 0));
    const voters = kv(a, 'voters') ?? [];
    const learners = kv(a, 'learners') ?? [];
    const index = Number(kv(a, 'index')?.[0] ?? '0');
    const bool = (k: string, d: boolean) => {
      const v = kv(a, k)?.[0];
      return v === undefined ? d : v === 'true';
    };
    const num = (k: string) => {
      const v = kv(a, k)?.[0];
      return v === undefined ? undefined : Number(v);
    };
    for (let i = 0; i < n; i++) {
      const id = String(this.nextId++);
      const storage = new MemoryStorage();
      if (index > 0) {
        storage.applySnapshot({
          metadata: {
            index,
            term: 1,
            confState: { voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false },
          },
          data: new Uint8Array(0),
        });
        storage.setHardState({ term: 1, vote: '', commit: index });
        storage.sync();
      }
      const config: RaftConfig = {
        id,
        electionTick: num('election') ?? 10,
        heartbeatTick: num('heartbeat') ?? 1,
        random: seededRandom(Number(id) * 7919 + 17),
        preVote: bool('prevote', true),
        checkQuorum: bool('checkquorum', true),
        readOnlyOption: (kv(a, 'read-only')?.[0] ?? 'safe') as ReadOnlyOption,
        disableProposalForwarding: bool('disable-forwarding', false),
      };
      const setNum = (k: string, f: (v: number) => void) => {
        const v = num(k);
        if (v !== undefined) f(v);
      };
      setNum('max-size-per-msg', (v) => (config.maxSizePerMsg = v));
      setNum('max-inflight', (v) => (config.maxInflightMsgs = v));
      setNum('max-uncommitted-size', (v) => (config.maxUncommittedEntriesSize = v));
      setNum('snapshot-chunk-size', (v) => (config.snapshotChunkSize = v));
      config.logger = this.logger(id);
      const node: EnvNode = { id, storage, config, rn: undefined, applied: [], halted: false };
      this.nodes.set(id, node);
      node.rn = new RawNode({ ...config, applied: index }, storage);
    }
  }

  private node(id: NodeId): RawNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    if (!n.rn) throw new Error(`node ${id} is down`);
    return n.rn;
  }

  // ---- proposals ----

  private propose(id: NodeId, data: string): void {
    this.node(id).propose(enc.encode(data));
  }

  private proposeConfChange(a: CmdArg[]): void {
    const id = pos(a, 0);
    const changes: ConfChangeSingle[] = [];
    let transition: 'auto' | 'explicit' | undefined;
    let joint = false;
    for (const arg of a.slice(1)) {
      if (arg.key === 'stop-before-sync') continue;
      if (arg.key === 'transition') {
        transition = arg.vals[0] as 'auto' | 'explicit';
        joint = true;
        continue;
      }
      if (arg.key === 'joint') {
        joint = true;
        continue;
      }
      const kind = arg.key[0];
      const nodeId = arg.key.slice(1);
      if (kind === 'v') changes.push({ type: 'add_node', nodeId });
      else if (kind === 'l') changes.push({ type: 'add_learner', nodeId });
      else if (kind === 'r') changes.push({ type: 'remove_node', nodeId });
      else throw new Error(`bad conf change ${arg.key}`);
    }
    const cc: ConfChange = { changes };
    if (joint && changes.length > 0) cc.transition = transition ?? 'auto';
    this.node(id).proposeConfChange(cc);
  }

  // ---- ready handling ----

  private processReadyCmd(a: CmdArg[]): void {
    const stopBeforeSync = a.some((x) => x.key === 'stop-before-sync');
    this.quiet = a.some((x) => x.key === 'quiet');
    const ids = positionals(a);
    try {
      for (const id of ids.length > 0 ? ids : [...this.nodes.keys()]) this.processReady(id, stopBeforeSync);
    } finally {
      this.quiet = false;
    }
  }

  private processReady(id: NodeId, stopBeforeSync = false): boolean {
    const n = this.nodes.get(id);
    if (!n || !n.rn || n.halted || !n.rn.hasReady()) return false;
    const rd = n.rn.ready();
    this.log(`> ${id} handling Ready`);
    this.printReady(rd);
    if (rd.snapshot) n.storage.applySnapshot(rd.snapshot);
    if (rd.hardState) n.storage.setHardState(rd.hardState);
    n.storage.append(rd.entries);
    if (stopBeforeSync) {
      this.log(`  (${id} persisted without sync and stopped before sending)`);
      n.halted = true;
      return true;
    }
    n.storage.sync();
    for (const m of rd.messages) this.pending.push(m);
    if (rd.snapshot) n.applied = str(rd.snapshot.data) === '' ? [] : str(rd.snapshot.data).split(',');
    for (const e of rd.committedEntries) {
      if (e.type === 'conf_change') {
        const cs = n.rn.applyConfChange(decodeConfChange(e.data));
        this.log(
          `  ${id} applied conf change ${e.index}: voters=(${cs.voters.join(' ')})` +
            (cs.votersOutgoing.length > 0 ? `&&(${cs.votersOutgoing.join(' ')})` : '') +
            (cs.learners.length > 0 ? ` learners=(${cs.learners.join(' ')})` : '') +
            (cs.learnersNext.length > 0 ? ` learners_next=(${cs.learnersNext.join(' ')})` : '') +
            (cs.autoLeave ? ' autoleave' : ''),
        );
      } else if (e.data.length > 0) {
        n.applied.push(str(e.data));
      }
    }
    n.rn.advance(rd);
    return true;
  }

  private printReady(rd: Ready): void {
    if (rd.softState) this.log(`  SoftState: role=${rd.softState.role} leader=${rd.softState.leader || '-'}`);
    if (rd.hardState) {
      const h = rd.hardState;
      this.log(`  HardState: term=${h.term} vote=${h.vote || '-'} commit=${h.commit}`);
    }
    if (rd.snapshot) this.log(`  Snapshot: ${fmtSnapshotMeta(rd.snapshot)}`);
    if (rd.entries.length > 0) {
      this.log('  Entries:');
      for (const e of rd.entries) this.log(`    ${fmtEntry(e)}`);
    }
    if (rd.committedEntries.length > 0) {
      this.log('  CommittedEntries:');
      for (const e of rd.committedEntries) this.log(`    ${fmtEntry(e)}`);
    }
    if (rd.readStates.length > 0) {
      this.log('  ReadStates:');
      for (const r of rd.readStates) this.log(`    ctx=${str(r.requestCtx)} index=${r.index}`);
    }
    if (rd.messages.length > 0 && this.quiet) {
      this.log(`  Messages: ${rd.messages.length}`);
    } else if (rd.messages.length > 0) {
      this.log('  Messages:');
      for (const m of rd.messages) this.log(`    ${fmtMessage(m)}`);
    }
    if (rd.mustSync) this.log('  (must sync)');
  }

  // ---- network ----

  private blocked(m: Message): boolean {
    return this.cut.has(`${m.from}|${m.to}`);
  }

  private filterFor(a: CmdArg[]): (m: Message) => boolean {
    const ids = positionals(a);
    const types = kv(a, 'type');
    const from = kv(a, 'from');
    return (m) =>
      (ids.length === 0 || ids.includes(m.to)) &&
      (!types || types.includes(m.type as MessageType)) &&
      (!from || from.includes(m.from));
  }

  private takePending(match: (m: Message) => boolean): Message[] {
    const taken: Message[] = [];
    const rest: Message[] = [];
    for (const m of this.pending) (match(m) ? taken : rest).push(m);
    this.pending = rest;
    return taken;
  }

  private deliverCmd(a: CmdArg[]): void {
    const count = kv(a, 'count')?.[0];
    if (count === undefined) {
      this.deliver(this.filterFor(a));
      return;
    }
    let left = Number(count);
    const match = this.filterFor(a);
    this.deliver((m) => left > 0 && match(m) && left-- > 0);
  }

  private deliver(match: (m: Message) => boolean): boolean {
    const msgs = this.takePending(match);
    for (const m of msgs) {
      const target = this.nodes.get(m.to);
      if (this.blocked(m)) {
        this.log(`dropped (partition): ${fmtMessage(m)}`);
        continue;
      }
      if (!target || !target.rn || target.halted) {
        this.log(`dropped (${m.to} is down): ${fmtMessage(m)}`);
        continue;
      }
      this.log(fmtMessage(m));
      try {
        target.rn.step(m);
      } catch (e) {
        this.log(`  error: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return msgs.length > 0;
  }

  private dropCmd(a: CmdArg[]): void {
    const dropped = this.takePending(this.filterFor(a));
    if (a.some((x) => x.key === 'quiet')) {
      this.log(`dropped ${dropped.length} message(s)`);
      return;
    }
    for (const m of dropped) this.log(`dropped: ${fmtMessage(m)}`);
  }

  private duplicateCmd(a: CmdArg[]): void {
    // Copies go to the end of the queue: a duplicate that arrives late.
    const match = this.filterFor(a);
    const copies: Message[] = [];
    for (const m of this.pending) {
      if (!match(m)) continue;
      copies.push({ ...m });
      this.log(`duplicated: ${fmtMessage(m)}`);
    }
    if (a.some((x) => x.key === 'hold')) {
      for (const c of copies) this.held.push(c);
      return;
    }
    for (const c of copies) this.pending.push(c);
  }

  private corruptSnap(a: CmdArg[]): void {
    const to = pos(a, 0);
    const chunk = Number(kv(a, 'chunk')?.[0] ?? '1') - 1;
    for (let i = 0; i < this.pending.length; i++) {
      const m = this.pending[i]!;
      if (m.to !== to || m.type !== 'snap' || !m.snapshot || m.chunk?.index !== chunk) continue;
      const data = Uint8Array.from(m.snapshot.data);
      if (data.length > 0) data[0] = data[0]! ^ 0xff;
      this.pending[i] = { ...m, snapshot: { metadata: m.snapshot.metadata, data } };
      this.log(`corrupted: ${fmtMessage(this.pending[i]!)}`);
      return;
    }
    throw new Error(`no pending snap chunk ${chunk + 1} to ${to}`);
  }

  private partition(a: CmdArg[]): void {
    const groups: NodeId[][] = [[]];
    for (const x of a) {
      if (x.key === '|') groups.push([]);
      else groups[groups.length - 1]!.push(x.key);
    }
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const p of groups[i]!) for (const q of groups[j]!) this.cut.add(`${p}|${q}`);
      }
    }
  }

  private cutLink(p: NodeId, q: NodeId): void {
    this.cut.add(`${p}|${q}`);
    this.cut.add(`${q}|${p}`);
  }

  private stabilize(ids: NodeId[]): void {
    const set = ids.length > 0 ? ids : [...this.nodes.keys()];
    for (let round = 0; round < 1000; round++) {
      let done = true;
      for (const id of set) if (this.processReady(id)) done = false;
      for (const id of set) if (this.deliver((m) => m.to === id)) done = false;
      if (done) return;
    }
    throw new Error('stabilize did not converge');
  }

  // ---- time ----

  /**
   * Runs `rounds` rounds of: every running node ticks once, then the cluster stabilizes. Only role changes are
   * printed, then the final state.
   */
  private runTicks(rounds: number): void {
    const start = this.out.length;
    for (let r = 0; r < rounds; r++) {
      for (const n of this.nodes.values()) if (n.rn && !n.halted) n.rn.tick();
      this.stabilize([]);
    }
    const lines = this.out.splice(start);
    for (const l of lines) if (/ became | stepped down/.test(l)) this.log(l);
    this.raftState();
  }

  private tickN(id: NodeId, count: number): void {
    const rn = this.node(id);
    for (let i = 0; i < count; i++) rn.tick();
  }

  private tickHeartbeat(ids: NodeId[]): void {
    for (const id of ids) this.tickN(id, this.node(id).raft.timers().heartbeatTimeout);
  }

  /** Ticks until the node's election (or, on a leader, CheckQuorum) timeout fires. */
  private tickElection(ids: NodeId[]): void {
    for (const id of ids) {
      const rn = this.node(id);
      const t = rn.raft.timers();
      const target = rn.raft.role === 'leader' ? t.electionTimeout : t.randomizedElectionTimeout;
      this.tickN(id, Math.max(1, target - t.electionElapsed));
    }
  }

  // ---- storage, crash ----

  private compact(id: NodeId, index: number): void {
    const n = this.nodes.get(id);
    if (!n || !n.rn) throw new Error(`node ${id} is down`);
    const cs = n.rn.status().config;
    const snap = n.storage.createSnapshot(index, cs, enc.encode(n.applied.join(',')));
    n.storage.compact(index);
    n.storage.sync();
    this.log(`${id}: snapshot ${fmtSnapshotMeta(snap)} data=${JSON.stringify(str(snap.data))}`);
    this.log(`${id}: log compacted to first index ${n.storage.firstIndex()}`);
  }

  private crash(id: NodeId): void {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    const lost = n.storage.unsyncedWrites();
    n.storage.crash();
    n.rn = undefined;
    n.halted = false;
    this.log(`${id} crashed (${lost} unsynced write(s) lost)`);
  }

  private restart(id: NodeId): void {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    if (n.rn) throw new Error(`node ${id} is running`);
    const snap = n.storage.snapshot();
    n.applied = str(snap.data) === '' ? [] : str(snap.data).split(',');
    n.rn = new RawNode({ ...n.config, applied: snap.metadata.index }, n.storage);
    const hs = n.storage.hardStateNow();
    this.log(
      `${id} restarted: term=${hs.term} vote=${hs.vote || '-'} commit=${hs.commit} lastIndex=${n.storage.lastIndex()}`,
    );
  }

  // ---- inspection ----

  private status(id: NodeId): void {
    const rn = this.node(id);
    const st = rn.status();
    this.log(
      `${id}: role=${st.softState.role} term=${st.hardState.term} vote=${st.hardState.vote || '-'} ` +
        `leader=${st.softState.leader || '-'} commit=${st.hardState.commit} applied=${st.applied} last=${st.lastIndex}` +
        (st.leadTransferee ? ` transferee=${st.leadTransferee}` : ''),
    );
    const cs = st.config;
    this.log(
      `  config: voters=(${cs.voters.join(' ')})` +
        (cs.votersOutgoing.length > 0 ? `&&(${cs.votersOutgoing.join(' ')})` : '') +
        (cs.learners.length > 0 ? ` learners=(${cs.learners.join(' ')})` : '') +
        (cs.learnersNext.length > 0 ? ` learners_next=(${cs.learnersNext.join(' ')})` : '') +
        (cs.autoLeave ? ' autoleave' : ''),
    );
    rn.raft.tracker.visit((pid, pr) => {
      if (st.softState.role === 'leader') this.log(`  ${pid}: ${pr.toString()}`);
    });
  }

  private raftLog(id: NodeId): void {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    const first = n.storage.firstIndex();
    const last = n.storage.lastIndex();
    if (last < first) {
      this.log(`log is empty: first index=${first}, last index=${last}`);
      return;
    }
    for (const e of n.storage.entries(first, last + 1)) this.log(fmtEntry(e));
  }

  private raftState(): void {
    for (const [id, n] of this.nodes) {
      if (!n.rn) {
        this.log(`${id}: down`);
        continue;
      }
      const st = n.rn.status();
      const voter = st.config.voters.includes(id) || st.config.votersOutgoing.includes(id);
      this.log(
        `${id}: ${st.softState.role} (${voter ? 'Voter' : st.config.learners.includes(id) ? 'Learner' : 'Non-Voter'}) ` +
          `term=${st.hardState.term} lead=${st.softState.leader || '-'}`,
      );
    }
  }

  private printState(id: NodeId): void {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    this.log(`${id} applied: [${n.applied.join(' ')}]`);
  }
}

function positionals(a: CmdArg[]): string[] {
  return a
    .filter((x) => x.positional && x.key !== 'stop-before-sync' && x.key !== 'quiet' && x.key !== 'hold')
    .map((x) => x.key);
}

function pos(a: CmdArg[], i: number): string {
  const p = positionals(a)[i];
  if (p === undefined) throw new Error(`missing argument #${i + 1}`);
  return p;
}

function kv(a: CmdArg[], key: string): string[] | undefined {
  return a.find((x) => x.key === key)?.vals;
}
