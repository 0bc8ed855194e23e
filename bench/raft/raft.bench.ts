import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EtcdGatewayClient } from './etcd-client.js';
import { runLoad, type LoadResult } from './load-generator.js';
import { RaftKvCluster } from './raft-kv-cluster.js';

type EtcdScript = typeof import('../../scripts/etcd/etcd-cluster.mjs');

/**
 * `npm run bench:raft`: a 3-member @mocra/raft cluster (separate processes, TCP on loopback, classic-level with
 * fsync) against a 3-member etcd cluster (Debian's etcd-server, found or installed by scripts/etcd) in the same run,
 * both written through HTTP to their leader by the same closed-loop load generator, same client counts, same value
 * size. The two clusters run side by side and the contenders alternate per client count, so drift in the
 * machine's load hits both. Prints writes/s, p50/p99 and the ratios; appends a table to bench/RESULTS.md.
 *
 *   BENCH_RAFT_CLIENTS ("1,256"), BENCH_RAFT_DURATION_MS (10000), BENCH_RAFT_WARMUP_MS (2000),
 *   BENCH_RAFT_VALUE_BYTES (256), BENCH_RAFT_ROUNDS (1: alternations per client count, best kept),
 *   MOCRA_ETCD_ENDPOINTS=http://h:p,... to use a running etcd instead of starting one.
 */
const clientCounts = (process.env['BENCH_RAFT_CLIENTS'] ?? '1,256').split(',').map((c) => Number(c.trim()));
const durationMs = Number(process.env['BENCH_RAFT_DURATION_MS'] ?? 10_000);
const warmupMs = Number(process.env['BENCH_RAFT_WARMUP_MS'] ?? 2_000);
const valueBytes = Number(process.env['BENCH_RAFT_VALUE_BYTES'] ?? 256);
const rounds = Number(process.env['BENCH_RAFT_ROUNDS'] ?? 1);
const here = dirname(fileURLToPath(import.meta.url));

/** The repo root holds scripts/etcd; this file runs from bench/raft (sources) or dist/bench/raft (built). */
function repoRoot(): string {
  let dir = here;
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'scripts', 'etcd', 'etcd-cluster.mjs'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('raft bench: scripts/etcd/etcd-cluster.mjs not found above this file');
}

async function etcdScript(): Promise<EtcdScript> {
  return (await import(pathToFileURL(join(repoRoot(), 'scripts/etcd/etcd-cluster.mjs')).href)) as EtcdScript;
}

/** user+sys CPU ms of the given pids from /proc (clock ticks of 10 ms); 0 for pids it cannot read. */
function cpuMsOf(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
    } catch {
      // not Linux, or the process is gone
    }
  }
  return ticks * 10;
}

interface Row extends LoadResult {
  contender: 'mocra-raft' | 'etcd';
  serverCpuUsPerWrite: number;
}

async function measure(
  contender: Row['contender'],
  clients: number,
  pids: readonly number[],
  put: (key: string, value: Uint8Array) => Promise<void>,
): Promise<Row> {
  const before = cpuMsOf(pids);
  const load = await runLoad({ clients, durationMs, warmupMs, valueBytes, put });
  const cpuMs = cpuMsOf(pids) - before;
  const row: Row = {
    ...load,
    contender,
    serverCpuUsPerWrite: load.writes > 0 ? (cpuMs * 1000) / load.writes : 0,
  };
  console.log(
    `${contender.padEnd(10)} clients=${String(clients).padStart(3)}  ${row.writesPerSec.toFixed(0).padStart(6)} writes/s  ` +
      `p50 ${row.p50Ms.toFixed(2)} ms  p99 ${row.p99Ms.toFixed(2)} ms  errors ${row.errors}  ` +
      `server CPU ${row.serverCpuUsPerWrite.toFixed(0)} us/write` +
      (row.firstError !== undefined ? `  (first error: ${row.firstError})` : ''),
  );
  return row;
}

function best(rows: Row[]): Row {
  return rows.reduce((a, b) => (b.writesPerSec > a.writesPerSec ? b : a));
}

async function main(): Promise<void> {
  for (const c of clientCounts) {
    if (!Number.isInteger(c) || c < 1)
      throw new Error(`BENCH_RAFT_CLIENTS: "${c}" is not a positive integer`);
  }
  const maxClients = Math.max(...clientCounts);
  const external = process.env['MOCRA_ETCD_ENDPOINTS'];
  const etcd = external
    ? {
        endpoints: external.split(','),
        pids: [] as number[],
        version: 'external',
        stop: async () => undefined,
      }
    : await (await etcdScript()).startEtcdCluster();
  // etcd's defaults on both sides: 100 ms heartbeat, 1 s election, a snapshot every 100,000 entries (etcd's
  // --snapshot-count) keeping 5,000 behind it (etcd's catch-up entries)
  const raft = new RaftKvCluster(
    {
      heartbeatIntervalMs: 100,
      electionTimeoutMs: 1_000,
      snapshotInterval: 100_000,
      snapshotKeepEntries: 5_000,
    },
    maxClients,
  );
  const results: Array<{ clients: number; raft: Row; etcd: Row }> = [];
  try {
    await raft.bootstrap(3);
    const leader = await raft.leader();
    const raftPids = raft.members.map((m) => m.process?.pid ?? 0);
    console.log(
      `mocra-raft: 3 members (leader ${leader.id}); etcd ${etcd.version ?? '?'}: 3 members; ` +
        `${valueBytes}-byte values, ${warmupMs} ms warm-up + ${durationMs} ms per measurement`,
    );
    for (const clients of clientCounts) {
      const raftRows: Row[] = [];
      const etcdRows: Row[] = [];
      for (let round = 0; round < rounds; round++) {
        const etcdClient = await EtcdGatewayClient.connect(etcd.endpoints, clients);
        try {
          etcdRows.push(await measure('etcd', clients, etcd.pids, (k, v) => etcdClient.put(k, v)));
        } finally {
          await etcdClient.close();
        }
        raftRows.push(
          await measure('mocra-raft', clients, raftPids, (k, v) => raft.put(leader, k, v, 10_000)),
        );
      }
      results.push({ clients, raft: best(raftRows), etcd: best(etcdRows) });
    }
  } finally {
    await raft.stop();
    await etcd.stop();
  }

  const lines = results.map(({ clients, raft: r, etcd: e }) => {
    const ratio = e.writesPerSec > 0 ? r.writesPerSec / e.writesPerSec : 0;
    console.log(`clients=${clients}: mocra-raft / etcd = ${ratio.toFixed(2)}× writes/s`);
    return (
      `| ${clients} | ${r.writesPerSec.toFixed(0)} | ${r.p50Ms.toFixed(2)} / ${r.p99Ms.toFixed(2)} | ` +
      `${e.writesPerSec.toFixed(0)} | ${e.p50Ms.toFixed(2)} / ${e.p99Ms.toFixed(2)} | ${ratio.toFixed(2)} | ` +
      `${r.serverCpuUsPerWrite.toFixed(0)} / ${e.serverCpuUsPerWrite.toFixed(0)} |`
    );
  });
  const date = new Date().toISOString().slice(0, 10);
  const table = [
    '',
    `## ${date} — \`npm run bench:raft\` (3 members each, fsync on, ${valueBytes}-byte values, ${durationMs / 1000} s per row; ${cpus().length} cores, Node ${process.version}, etcd ${etcd.version ?? '?'})`,
    '',
    '| clients | mocra-raft writes/s | mocra-raft p50 / p99 ms | etcd writes/s | etcd p50 / p99 ms | ratio | server CPU µs/write (mocra / etcd) |',
    '|---|---|---|---|---|---|---|',
    ...lines,
    '',
  ].join('\n');
  appendFileSync(join(repoRoot(), 'bench/RESULTS.md'), table);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
