import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ConfChangeError,
  MemoryStorage,
  ProposalDroppedError,
  RawNode,
  RaftUsageError,
  decodeConfChange,
  type Message,
  type NodeId,
  type RaftConfig,
} from '../../src/index.js';
import { seededRandom } from '../interaction/interaction-env.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

interface TestNode {
  id: NodeId;
  storage: MemoryStorage;
  rn: RawNode | undefined;
  applied: string[];
  appliedIndex: number;
}

/**
 * A small seeded cluster driver: random message delivery order, drops, partitions, crashes that lose unsynced
 * writes, restarts. Records a trace and checks election safety and state-machine safety as it goes.
 */
class Cluster {
  readonly nodes = new Map<NodeId, TestNode>();
  private net: Message[] = [];
  private readonly rnd: () => number;
  readonly trace: string[] = [];
  private readonly leaders = new Map<number, NodeId>();
  /** Committed entries by index, as first applied anywhere: all nodes must apply the same. */
  private readonly committed = new Map<number, string>();
  private isolated: NodeId | '' = '';

  constructor(
    ids: NodeId[],
    seed: number,
    private readonly base: Partial<RaftConfig> = {},
    private readonly membership = false,
  ) {
    this.rnd = seededRandom(seed);
    for (const id of ids) {
      const storage = new MemoryStorage();
      const cs = { voters: ids, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
      storage.applySnapshot({ metadata: { index: 1, term: 1, confState: cs }, data: new Uint8Array(0) });
      storage.sync();
      const n: TestNode = { id, storage, rn: undefined, applied: [], appliedIndex: 1 };
      this.nodes.set(id, n);
      this.start(n);
    }
  }

  private config(id: NodeId, applied: number): RaftConfig {
    return {
      id,
      electionTick: 10,
      heartbeatTick: 2,
      random: seededRandom(Number(id) * 31 + Math.floor(this.rnd() * 1000)),
      applied,
      ...this.base,
    };
  }

  private start(n: TestNode): void {
    n.rn = new RawNode(this.config(n.id, n.storage.snapshot().metadata.index), n.storage);
    n.appliedIndex = n.storage.snapshot().metadata.index;
    n.applied = n.applied.slice(0, 0);
    // Re-applying from the snapshot: the state machine restarts from the snapshot's data.
    const data = dec.decode(n.storage.snapshot().data);
    n.applied = data === '' ? [] : data.split(',');
  }

  private processReady(n: TestNode): void {
    const rn = n.rn;
    while (rn && n.rn === rn && rn.hasReady()) {
      const rd = rn.ready();
      if (rd.snapshot) n.storage.applySnapshot(rd.snapshot);
      n.storage.append(rd.entries);
      if (rd.hardState) n.storage.setHardState(rd.hardState);
      n.storage.sync();
      if (rd.softState?.role === 'leader') {
        const term = rd.hardState?.term ?? n.storage.initialState().hardState.term;
        const prev = this.leaders.get(term);
        if (prev !== undefined && prev !== n.id)
          throw new Error(`two leaders in term ${term}: ${prev}, ${n.id}`);
        this.leaders.set(term, n.id);
        this.trace.push(`${n.id} leader@${term}`);
      }
      for (const m of rd.messages) this.net.push(m);
      if (rd.snapshot) {
        const data = dec.decode(rd.snapshot.data);
        n.applied = data === '' ? [] : data.split(',');
        n.appliedIndex = rd.snapshot.metadata.index;
      }
      for (const e of rd.committedEntries) {
        const v =
          e.type === 'conf_change' ? `cc:${JSON.stringify(decodeConfChange(e.data))}` : dec.decode(e.data);
        const seen = this.committed.get(e.index);
        if (seen === undefined) this.committed.set(e.index, `${e.term}:${v}`);
        else if (seen !== `${e.term}:${v}`) {
          throw new Error(`node ${n.id} applied ${e.term}:${v} at ${e.index}, another node applied ${seen}`);
        }
        if (e.type === 'conf_change') {
          try {
            rn.applyConfChange(decodeConfChange(e.data));
          } catch (err) {
            if (!(err instanceof ConfChangeError)) throw err;
          }
        } else if (e.data.length > 0) n.applied.push(v);
        n.appliedIndex = e.index;
      }
      rn.advance(rd);
      // Keep logs short: snapshot and compact now and then.
      if (n.appliedIndex - n.storage.snapshot().metadata.index > 20 && this.rnd() < 0.3) {
        n.storage.createSnapshot(n.appliedIndex, undefined, enc.encode(n.applied.join(',')));
        n.storage.compact(n.appliedIndex - 5);
        n.storage.sync();
      }
    }
  }

  private cutOff(m: Message): boolean {
    return this.isolated !== '' && (m.from === this.isolated || m.to === this.isolated);
  }

  step(i: number): void {
    const r = this.rnd();
    const ids = [...this.nodes.keys()];
    const pick = ids[Math.floor(this.rnd() * ids.length)]!;
    const n = this.nodes.get(pick)!;
    if (r < 0.3) {
      n.rn?.tick();
    } else if (r < 0.4 && n.rn) {
      try {
        n.rn.propose(enc.encode(`v${i}`));
      } catch (e) {
        if (!(e instanceof ProposalDroppedError)) throw e;
      }
    } else if (r < 0.405) {
      // Crash: unsynced writes are lost (there are none between Readies here, so nothing acknowledged is).
      n.storage.crash();
      n.rn = undefined;
      this.trace.push(`${pick} crash`);
    } else if (r < 0.42 && !n.rn) {
      this.start(n);
      this.trace.push(`${pick} restart`);
    } else if (r < 0.425) {
      this.isolated = this.isolated === '' ? pick : '';
      this.trace.push(`isolate ${this.isolated || '-'}`);
    } else if (r < 0.43 && this.membership && n.rn) {
      const target = ids[Math.floor(this.rnd() * ids.length)]!;
      const kind = this.rnd();
      const cc =
        kind < 0.3
          ? { changes: [{ type: 'add_learner' as const, nodeId: target }] }
          : kind < 0.6
            ? { changes: [{ type: 'add_node' as const, nodeId: target }] }
            : kind < 0.8
              ? {
                  changes: [
                    { type: 'add_node' as const, nodeId: target },
                    { type: 'add_learner' as const, nodeId: ids[Math.floor(this.rnd() * ids.length)]! },
                  ],
                }
              : { changes: [{ type: 'remove_node' as const, nodeId: target }] };
      try {
        n.rn.proposeConfChange(cc);
        this.trace.push(`${pick} propose ${JSON.stringify(cc.changes)}`);
      } catch (e) {
        if (!(e instanceof ProposalDroppedError)) throw e;
      }
    } else if (r < 0.435 && this.membership && n.rn) {
      n.rn.transferLeader(ids[Math.floor(this.rnd() * ids.length)]!);
    } else if (this.net.length > 0) {
      const k = Math.floor(this.rnd() * Math.min(this.net.length, 4));
      const [m] = this.net.splice(k, 1);
      const to = this.nodes.get(m!.to);
      if (to?.rn && !this.cutOff(m!) && this.rnd() > 0.05) to.rn.step(m!);
    }
    for (const node of this.nodes.values()) this.processReady(node);
  }

  run(steps: number): void {
    for (let i = 0; i < steps; i++) this.step(i);
  }

  committedCount(): number {
    return this.committed.size;
  }

  committedConfChanges(): number {
    let n = 0;
    for (const v of this.committed.values()) if (v.includes(':cc:')) n++;
    return n;
  }
}

describe('RawNode', () => {
  it('a single bootstrapped node elects itself and commits', () => {
    const storage = new MemoryStorage();
    const rn = new RawNode({ id: 'a', electionTick: 10, heartbeatTick: 1, random: seededRandom(1) }, storage);
    rn.bootstrap(['a']);
    expect(() => rn.bootstrap(['a'])).toThrow(RaftUsageError);
    const applied: string[] = [];
    const drain = () => {
      while (rn.hasReady()) {
        const rd = rn.ready();
        storage.append(rd.entries);
        if (rd.hardState) storage.setHardState(rd.hardState);
        storage.sync();
        for (const e of rd.committedEntries) {
          if (e.type === 'conf_change') {
            try {
              rn.applyConfChange(decodeConfChange(e.data));
            } catch (err) {
              if (!(err instanceof ConfChangeError)) throw err;
            }
          } else if (e.data.length > 0) applied.push(dec.decode(e.data));
        }
        rn.advance(rd);
      }
    };
    drain();
    expect(() => rn.propose(enc.encode('early'))).toThrow(ProposalDroppedError);
    rn.campaign();
    drain();
    expect(rn.status().softState.role).toBe('leader');
    rn.propose(enc.encode('x'));
    drain();
    expect(applied).toEqual(['x']);
    expect(rn.status().hardState.commit).toBe(3);
  });

  it('refuses local message types from the outside', () => {
    const rn = new RawNode(
      { id: '1', electionTick: 10, heartbeatTick: 1, random: seededRandom(2) },
      new MemoryStorage(),
    );
    const m: Message = {
      type: 'hup',
      from: '2',
      to: '1',
      term: 0,
      logTerm: 0,
      index: 0,
      entries: [],
      commit: 0,
      reject: false,
      rejectHint: 0,
    };
    expect(() => rn.step(m)).toThrow(RaftUsageError);
  });

  it('validates its configuration', () => {
    const s = new MemoryStorage();
    const base = { id: '1', electionTick: 10, heartbeatTick: 1, random: seededRandom(3) };
    expect(() => new RawNode({ ...base, electionTick: 1 }, s)).toThrow(/electionTick/);
    expect(() => new RawNode({ ...base, readOnlyOption: 'lease_based', checkQuorum: false }, s)).toThrow(
      /lease_based/,
    );
  });

  it('the same seed reproduces a run exactly; another seed does not', () => {
    const run = (seed: number) => {
      const c = new Cluster(['1', '2', '3'], seed);
      c.run(1500);
      return c.trace.join('\n');
    };
    const a = run(42);
    expect(a).not.toBe('');
    expect(run(42)).toBe(a);
    expect(run(43)).not.toBe(a);
  });

  it('keeps election and state-machine safety under drops, reordering, partitions and crashes', () => {
    const seeds = (process.env['RAFT_FUZZ_SEEDS'] ?? '1,2,3').split(',').map(Number);
    for (const seed of seeds) {
      const c = new Cluster(['1', '2', '3', '4', '5'], seed);
      c.run(Number(process.env['RAFT_FUZZ_STEPS'] ?? 4000));
      expect(c.committedCount()).toBeGreaterThan(10);
    }
  });

  it('keeps safety through membership changes and leader transfers', () => {
    const seeds = (process.env['RAFT_FUZZ_SEEDS'] ?? '11,12').split(',').map(Number);
    let confChanges = 0;
    for (const seed of seeds) {
      const c = new Cluster(['1', '2', '3', '4', '5'], seed, {}, true);
      c.run(Number(process.env['RAFT_FUZZ_STEPS'] ?? 4000));
      expect(c.committedCount()).toBeGreaterThan(5);
      confChanges += c.committedConfChanges();
    }
    // The run must actually exercise membership changes.
    expect(confChanges).toBeGreaterThan(0);
    if (process.env['RAFT_FUZZ_SEEDS']) console.log(`committed conf changes: ${confChanges}`);
  });

  it('keeps safety without PreVote and CheckQuorum too', () => {
    const c = new Cluster(['1', '2', '3'], 7, { preVote: false, checkQuorum: false });
    c.run(3000);
    expect(c.committedCount()).toBeGreaterThan(10);
  });
});

describe('core purity', () => {
  it('uses no clock, no Math.random, no timers and no I/O', () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), '../../src/core');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
      const src = readFileSync(join(dir, f), 'utf8');
      expect(src, f).not.toMatch(
        /Date\.now|new Date\(|Math\.random|setTimeout|setInterval|performance\.now|from 'node:/,
      );
    }
  });
});
