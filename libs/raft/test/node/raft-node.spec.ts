import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { MemoryPersistentStorage } from '../../src/storage/memory-persistent-storage.js';
import { RaftNode } from '../../src/node/raft-node.js';
import { RaftNodeStoppedError } from '../../src/node/raft-node.errors.js';
import type { RaftNodeOptions } from '../../src/node/raft-node.options.js';
import { decodeKvOutput, encodeKvInput } from '../../src/sim/kv-command.codec.js';
import { KvStateMachine } from '../../src/sim/kv-state-machine.js';
import { InProcessNetwork } from './in-process-transport.js';

// RaftNode over in-memory storage and an in-process network: the runtime's own logic (ready loop, group commit,
// proposal and read promises, joins, snapshots, restarts). Real storage and TCP are tested in their own specs and
// in the multi-process tests.

interface TestNode {
  node: RaftNode;
  kv: KvStateMachine;
  memory: MemoryStorage;
}

const FAST = { heartbeatIntervalMs: 10, electionTimeoutMs: 100 };

function startNode(
  net: InProcessNetwork,
  id: string,
  extra: Partial<RaftNodeOptions> = {},
  memory = new MemoryStorage(),
  address?: string,
): { make: () => Promise<TestNode> } {
  return {
    make: async () => {
      const kv = new KvStateMachine();
      const node = new RaftNode({
        id,
        storage: new MemoryPersistentStorage(memory),
        transport: net.transport(id, address),
        stateMachine: kv,
        ...FAST,
        ...extra,
      });
      await node.start();
      return { node, kv, memory };
    },
  };
}

async function founders(net: InProcessNetwork, n: number, extra: Partial<RaftNodeOptions> = {}) {
  // in-process addresses are assigned in creation order: mem:1, mem:2, ...
  const ids = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const base = net.endpoints.size;
  const initialMembers = Object.fromEntries(ids.map((id, i) => [id, `mem:${base + i + 1}`]));
  const nodes: TestNode[] = [];
  for (const id of ids) nodes.push(await startNode(net, id, { initialMembers, ...extra }).make());
  return nodes;
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const leaderOf = (nodes: TestNode[]) =>
  until('a leader', () =>
    nodes.find((n) => n.node.isLeader() && nodes.every((m) => m.node.leaderId() === n.node.id)),
  );

const put = (n: TestNode, key: string, value: string) =>
  n.node.propose(encodeKvInput({ op: 'put', key, value }));
const append = (n: TestNode, key: string, value: string) =>
  n.node.propose(encodeKvInput({ op: 'append', key, value }));

let running: TestNode[] = [];
afterEach(async () => {
  await Promise.all(running.map((n) => n.node.stop()));
  running = [];
});

describe('RaftNode', () => {
  it('elects a leader, commits concurrent proposals in one order on every node, and batches them into few fsyncs', async () => {
    const net = new InProcessNetwork();
    running = await founders(net, 3);
    const leader = await leaderOf(running);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => append(leader, 'log', `${i},`)));
    expect(results).toHaveLength(200);
    for (const r of results) expect(decodeKvOutput(r)).toEqual({});
    await until('followers to apply', () => running.every((n) => n.kv.get('log').split(',').length === 201));
    const value = leader.kv.get('log');
    for (const n of running) expect(n.kv.get('log')).toBe(value);
    // every proposal appears exactly once
    expect(new Set(value.split(',').filter(Boolean)).size).toBe(200);
    // group commit: far fewer synced writes than proposals
    expect(leader.node.metrics().fsyncs).toBeLessThan(100);
  });

  it('forwards a proposal made on a follower and resolves it there when it is applied', async () => {
    const net = new InProcessNetwork();
    running = await founders(net, 3);
    const leader = await leaderOf(running);
    const follower = running.find((n) => n !== leader)!;
    await put(follower, 'k', 'from-follower');
    expect(follower.kv.get('k')).toBe('from-follower');
    await until('leader to apply', () => leader.kv.get('k') === 'from-follower');
  });

  it('serves a linearizable read on a follower only after it applied the latest committed write', async () => {
    const net = new InProcessNetwork();
    running = await founders(net, 3);
    const leader = await leaderOf(running);
    const follower = running.find((n) => n !== leader)!;
    for (let i = 0; i < 20; i++) {
      await put(leader, 'x', `v${i}`);
      // the write is acknowledged by the leader; the follower's read must see it (or later), never older
      expect(await follower.node.read(() => follower.kv.get('x'))).toBe(`v${i}`);
    }
    expect(follower.node.metrics().readIndexRounds).toBeGreaterThanOrEqual(20);
  });

  it('a node joins through a follower, catches up by snapshot after compaction, and serves reads', async () => {
    const net = new InProcessNetwork();
    running = await founders(net, 3, { snapshotInterval: 50, snapshotKeepEntries: 10 });
    const leader = await leaderOf(running);
    for (let i = 0; i < 300; i++) await put(leader, `k${i % 7}`, `v${i}`);
    await until('leader snapshot', () => leader.node.status().snapshotIndex > 100);
    const follower = running.find((n) => n !== leader)!;
    const joiner = await startNode(net, 'n4', {
      join: [follower.node.advertisedAddress],
      snapshotInterval: 50,
      snapshotKeepEntries: 10,
    }).make();
    running.push(joiner);
    await until('n4 to be a voter everywhere', () =>
      running.every((n) => n.node.status().voters.includes('n4')),
    );
    expect(await joiner.node.read(() => joiner.kv.get('k6'))).toBe(leader.kv.get('k6'));
    expect(joiner.node.metrics().snapshotsRestored).toBeGreaterThanOrEqual(1);
    expect(joiner.node.status().members['n1']).toBe(running[0]!.node.advertisedAddress);
    await put(joiner, 'after-join', 'ok');
    await until('all to apply', () => running.every((n) => n.kv.get('after-join') === 'ok'));
  });

  it('a restarted node comes back from what it synced and catches up; the cluster keeps committing meanwhile', async () => {
    const net = new InProcessNetwork();
    running = await founders(net, 3);
    const leader = await leaderOf(running);
    await put(leader, 'a', '1');
    const victim = running.find((n) => n !== leader)!;
    await victim.node.stop();
    victim.memory.crash();
    running = running.filter((n) => n !== victim);
    for (let i = 0; i < 50; i++) await put(leader, 'a', `${i}`);
    const back = await startNode(
      net,
      victim.node.id,
      {},
      victim.memory,
      victim.node.advertisedAddress,
    ).make();
    running.push(back);
    await until('restarted node to catch up', () => back.kv.get('a') === '49');
  });

  it('elects a new leader when the leader is cut off, and the old leader cannot commit', async () => {
    const net = new InProcessNetwork();
    running = await founders(net, 3);
    const old = await leaderOf(running);
    net.isolated.add(old.node.advertisedAddress);
    const rest = running.filter((n) => n !== old);
    const next = await until('a new leader', () => rest.find((n) => n.node.isLeader()));
    const stale = put(old, 'split', 'old').then(
      () => 'committed',
      (e: Error) => e.message,
    );
    await put(next, 'split', 'new');
    net.isolated.clear();
    await until('old leader to follow the new one', () => old.node.leaderId() === next.node.id);
    await until('old leader to apply the new value', () => old.kv.get('split') === 'new');
    await old.node.stop();
    running = running.filter((n) => n !== old);
    // the cut-off leader's proposal never committed: it ends with an error, and no node holds its value
    expect(await stale).not.toBe('committed');
    for (const n of running) expect(n.kv.get('split')).toBe('new');
  });

  it('stop() rejects pending work with a clear error and refuses new work', async () => {
    const net = new InProcessNetwork();
    running = await founders(net, 1);
    const only = running[0]!;
    await leaderOf(running);
    await only.node.stop();
    await expect(only.node.propose(new Uint8Array(1))).rejects.toThrow(RaftNodeStoppedError);
    await expect(only.node.read(() => 1)).rejects.toThrow(/stopped/);
    running = [];
  });
});
