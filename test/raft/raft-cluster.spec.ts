import { checkOperations, kvModel } from '@mocra/raft';
import { ensureBuilt } from '../support/ensure-built.js';
import { KvWorkload } from './support/kv-workload.js';
import { RaftKvCluster, type Member } from '../../bench/raft/raft-kv-cluster.js';

// Real processes, real TCP on loopback, classic-level on disk with fsync: a 3-member cluster under a write load
// survives kill -9 of its leader, restarts the killed member (which catches up by snapshot), takes in a 4th member
// through a follower, and rides out a SIGSTOPped leader. Every client history must be linearizable.

const ELECTION_TIMEOUT_MS = 1_000;
const KEEP_ENTRIES = 100;

async function pause(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Polls every live member, recording who claimed leadership in which term. */
class LeaderWatch {
  readonly leadersByTerm = new Map<number, Set<string>>();
  private running = true;
  private readonly loop: Promise<void>;

  constructor(private readonly cluster: RaftKvCluster) {
    this.loop = this.poll();
  }

  private async poll(): Promise<void> {
    while (this.running) {
      const statuses = await Promise.all(this.cluster.members.map((m) => this.cluster.status(m, 300)));
      for (const s of statuses) {
        if (s?.role !== 'leader') continue;
        const set = this.leadersByTerm.get(s.term) ?? new Set<string>();
        set.add(s.id);
        this.leadersByTerm.set(s.term, set);
      }
      await pause(25);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

async function firstNewLeader(cluster: RaftKvCluster, among: Member[], timeoutMs: number): Promise<Member> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await Promise.all(among.map((m) => cluster.status(m, 200)));
    const leader = statuses.find((s) => s?.role === 'leader');
    if (leader) return among.find((m) => m.id === leader.id)!;
    if (Date.now() > deadline) throw new Error(`no new leader among ${among.map((m) => m.id).join(',')}`);
    await pause(10);
  }
}

describe('raft cluster of real processes', () => {
  let cluster: RaftKvCluster | undefined;

  beforeAll(() => ensureBuilt(), 300_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('survives kill -9 and SIGSTOP of the leader, catches up a restarted member by snapshot, admits a 4th member through a follower, and stays linearizable', async () => {
    cluster = new RaftKvCluster({
      heartbeatIntervalMs: 100,
      electionTimeoutMs: ELECTION_TIMEOUT_MS,
      snapshotInterval: 300,
      snapshotKeepEntries: KEEP_ENTRIES,
    });
    await cluster.bootstrap(3);
    const watch = new LeaderWatch(cluster);
    const first = await cluster.leader();
    const workload = new KvWorkload(cluster, [...cluster.members], {
      clients: 8,
      sharedKeys: 4,
      opTimeoutMs: 3_000,
    });
    workload.start();
    await pause(1_500);

    // kill -9 of the leader during the write load
    const killedAt = performance.now();
    await cluster.kill(first);
    const survivors = cluster.members.filter((m) => m !== first);
    const second = await firstNewLeader(cluster, survivors, 4 * ELECTION_TIMEOUT_MS);
    const electionMs = performance.now() - killedAt;
    expect(electionMs).toBeLessThanOrEqual(2 * ELECTION_TIMEOUT_MS);

    // keep writing while the killed member is down, until the leader's log no longer holds what it missed
    const commitAtKill = (await cluster.status(second))!.commit;
    await waitFor(
      async () => ((await cluster!.status(second))?.snapshotIndex ?? 0) - KEEP_ENTRIES > commitAtKill + 10,
      30_000,
      'the leader to compact past the killed member',
    );

    await cluster.launch(first);
    const target = (await cluster.status(second))!.commit;
    await waitFor(
      async () => ((await cluster!.status(first))?.applied ?? 0) >= target,
      15_000,
      'restarted member',
    );
    expect((await cluster.status(first))!.metrics.snapshotsRestored).toBeGreaterThanOrEqual(1);

    // a 4th member joins through a follower and serves ReadIndex reads as part of the load
    const follower = survivors.find((m) => m !== second)!;
    const fourth = await cluster.join(follower);
    await waitFor(
      async () =>
        (await Promise.all(cluster!.members.map((m) => cluster!.status(m)))).every((s) =>
          s?.voters.includes(fourth.id),
        ),
      15_000,
      'the 4th member in every configuration',
    );
    workload.targets = [...cluster.members];
    await pause(1_500);
    expect(workload.readsBy.get(fourth.id) ?? 0).toBeGreaterThan(0);

    // SIGSTOP of the leader for longer than the election timeout
    const stopped = await cluster.leader();
    cluster.signal(stopped, 'SIGSTOP');
    const others = cluster.members.filter((m) => m !== stopped);
    await firstNewLeader(cluster, others, 4 * ELECTION_TIMEOUT_MS);
    await pause(ELECTION_TIMEOUT_MS);
    cluster.signal(stopped, 'SIGCONT');
    await pause(1_500);
    await workload.stop();
    await watch.stop();

    // one leader per term, ever
    for (const [term, leaders] of watch.leadersByTerm) {
      expect({ term, leaders: [...leaders] }).toEqual({ term, leaders: [...leaders].slice(0, 1) });
    }
    // no acknowledged write lost
    const leader = await cluster.leader();
    expect(workload.acknowledged.length).toBeGreaterThan(200);
    for (const { key, value } of workload.acknowledged) {
      expect(await cluster.get(leader, key, 5_000)).toBe(value);
    }
    const report = checkOperations(kvModel, workload.history, { timeoutMs: 60_000 });
    expect(report.result, report.info).toBe('ok');
    console.info(
      `raft cluster: new leader ${electionMs.toFixed(0)} ms after kill -9; ${workload.acknowledgedWrites} acknowledged writes, ${workload.history.length} operations checked`,
    );
  }, 180_000);
});

async function waitFor(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(50);
  }
}
