#!/usr/bin/env node
// Finds (or installs Debian's etcd-server) and runs a 3-member etcd cluster on free loopback ports, as the anchor
// that `npm run bench:raft` compares our Raft against. Plain ESM so benches can import it and people can run it:
//   node scripts/etcd/etcd-cluster.mjs find       (prints the etcd path, exit 1 when absent)
//   node scripts/etcd/etcd-cluster.mjs install    (find, else apt-get install etcd-server as root)
//   node scripts/etcd/etcd-cluster.mjs start      (prints {endpoints, pids, dataDir}; members keep running)
//   node scripts/etcd/etcd-cluster.mjs stop [dataDir]   (default: the last cluster `start` made)
import { spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
} from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const WELL_KNOWN_PATHS = ['/usr/bin/etcd', '/usr/local/bin/etcd'];
/** Ports a distro service would take; an etcd left on them after install would skew the bench. */
const DEFAULT_PORTS = [2379, 2380];
/** Where the CLI `start` records its cluster so a later `stop` without arguments finds it. */
const LAST_CLUSTER_FILE = join(tmpdir(), 'mocra-etcd-last-cluster.json');
const STATE_FILE = 'cluster.json';

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Path of an `etcd` binary on the PATH or in the usual places, or null. */
export function findEtcd() {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  for (const candidate of [...dirs.map((d) => join(d, 'etcd')), ...WELL_KNOWN_PATHS]) {
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

/** `etcd --version` first line, e.g. "etcd Version: 3.4.23"; null when it does not run. */
export function etcdVersion(etcdPath) {
  const out = spawnSync(etcdPath, ['--version'], { encoding: 'utf8', env: cleanEnv() });
  if (out.error || out.status !== 0) return null;
  return /etcd Version:\s*(\S+)/.exec(out.stdout)?.[1] ?? null;
}

function tail(text, lines = 30) {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function aptGet(args) {
  const out = spawnSync('apt-get', args, {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (out.error) throw new Error(`etcd install: cannot run apt-get: ${out.error.message}`);
  return { ok: out.status === 0, status: out.status, output: `${out.stdout}\n${out.stderr}` };
}

/** Pids of running processes whose executable is an etcd binary (Linux /proc); empty elsewhere. */
function runningEtcdPids() {
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv0 = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0')[0] ?? '';
      if (argv0 === 'etcd' || argv0.endsWith('/etcd')) pids.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

function listening(port) {
  return new Promise((resolveListening) => {
    const server = createServer();
    server.once('error', () => resolveListening(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveListening(false)));
  });
}

/**
 * The package's maintainer scripts may start etcd as a service on 2379/2380. Stop that service and kill any etcd
 * that appeared during the install (and not before), so only our members run during a bench.
 */
async function stopServiceStartedByInstall(etcdPidsBefore) {
  const systemctl = spawnSync('systemctl', ['is-active', '--quiet', 'etcd'], { stdio: 'ignore' });
  if (!systemctl.error && systemctl.status === 0) {
    spawnSync('systemctl', ['stop', 'etcd'], { stdio: 'ignore' });
    spawnSync('systemctl', ['disable', 'etcd'], { stdio: 'ignore' });
  }
  spawnSync('service', ['etcd', 'stop'], { stdio: 'ignore' });
  const stray = runningEtcdPids().filter((pid) => !etcdPidsBefore.includes(pid));
  for (const pid of stray) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const port of DEFAULT_PORTS) {
    for (let i = 0; i < 50 && (await listening(port)); i++) await new Promise((r) => setTimeout(r, 100));
  }
  const busy = [];
  for (const port of DEFAULT_PORTS) if (await listening(port)) busy.push(port);
  if (busy.length > 0) {
    console.error(
      `etcd install: warning: 127.0.0.1:${busy.join(', ')} still in use after stopping the service`,
    );
  }
}

/**
 * Installs Debian's etcd-server with apt-get (root only), running `apt-get update` first when the package is not
 * known yet. Returns the etcd path. Throws naming what went wrong (not root, apt failure, no binary after install).
 */
export async function installEtcd() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new Error(
      'etcd install: etcd is not on the PATH (nor /usr/bin, /usr/local/bin) and this is not root, so it cannot ' +
        'apt-get install etcd-server. Install it (sudo apt-get install etcd-server) or put an etcd 3.4+ binary on ' +
        'the PATH.',
    );
  }
  const before = runningEtcdPids();
  const install = ['install', '-y', '--no-install-recommends', 'etcd-server'];
  let result = aptGet(install);
  if (!result.ok) {
    const update = aptGet(['update']);
    if (!update.ok) {
      throw new Error(
        `etcd install: apt-get install etcd-server exited ${result.status}, and apt-get update exited ` +
          `${update.status}:\n${tail(update.output)}`,
      );
    }
    result = aptGet(install);
  }
  await stopServiceStartedByInstall(before);
  if (!result.ok) {
    throw new Error(
      `etcd install: apt-get install -y etcd-server exited ${result.status}:\n${tail(result.output)}`,
    );
  }
  const path = findEtcd();
  if (path === null) {
    throw new Error(
      `etcd install: apt-get installed etcd-server but no etcd binary is on the PATH or in /usr/bin`,
    );
  }
  return path;
}

/** The etcd binary's path, installing etcd-server first when there is none (see installEtcd). */
export async function findOrInstallEtcd() {
  return findEtcd() ?? (await installEtcd());
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(address.port));
    });
  });
}

async function distinctFreePorts(count) {
  const ports = new Set();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** ETCD_* variables (say from /etc/default/etcd in a shell) would clash with or override our flags. */
function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCD_')));
}

function memberArgs(member, members, clusterToken) {
  return [
    '--name',
    member.name,
    '--data-dir',
    member.dataDir,
    '--listen-client-urls',
    member.clientUrl,
    '--advertise-client-urls',
    member.clientUrl,
    '--listen-peer-urls',
    member.peerUrl,
    '--initial-advertise-peer-urls',
    member.peerUrl,
    '--initial-cluster',
    members.map((m) => `${m.name}=${m.peerUrl}`).join(','),
    '--initial-cluster-state',
    'new',
    '--initial-cluster-token',
    clusterToken,
    // 3.4 still defaults to the deprecated capnslog logger and warns about it on every start.
    '--logger',
    'zap',
    '--log-outputs',
    'stderr',
  ];
}

function readLogTail(logFile, lines = 30) {
  try {
    return tail(readFileSync(logFile, 'utf8'), lines);
  } catch {
    return '(no log)';
  }
}

/** GET /health answers {"health":"true"} once the member sees a leader and can serve. */
function healthy(clientUrl) {
  return new Promise((resolveHealthy) => {
    // No pooled agent: an idle keep-alive socket would hold the CLI's `start` open after it printed.
    const req = httpGet(`${clientUrl}/health`, { agent: false, timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolveHealthy(res.statusCode === 200 && /"health"\s*:\s*"true"/.test(body)));
      res.on('error', () => resolveHealthy(false));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolveHealthy(false));
  });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True when pid is still one of our members (its command line names its data dir), so a reused pid is spared. */
function isOurMember(pid, memberDataDir) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(memberDataDir);
  } catch {
    return alive(pid);
  }
}

async function killMembers(members) {
  const ours = members.filter((m) => isOurMember(m.pid, m.dataDir));
  for (const m of ours) {
    try {
      process.kill(m.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && ours.some((m) => alive(m.pid))) await new Promise((r) => setTimeout(r, 50));
  for (const m of ours) {
    if (!alive(m.pid)) continue;
    try {
      process.kill(m.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/**
 * Starts `size` (default 3) etcd members on 127.0.0.1 with free client and peer ports and fresh data dirs under a
 * new temp dir (or `baseDir`), with etcd's default fsync behaviour. Resolves once every member's /health says true.
 * `detached` members outlive this process (the CLI's `start`); otherwise they are killed when it exits.
 * @returns {Promise<{ endpoints: string[], pids: number[], dataDir: string, etcdPath: string, version: string | null,
 *   stop(): Promise<void> }>}
 */
export async function startEtcdCluster(options = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startEtcdClusterOnce(options);
    } catch (err) {
      // Free ports are found by binding and releasing them, so a busy machine can take one before etcd binds it.
      if (!(err instanceof Error) || !/address already in use/.test(err.message) || attempt === 3) throw err;
      if (typeof err.dataDir === 'string') await rm(err.dataDir, { recursive: true, force: true });
    }
  }
}

async function startEtcdClusterOnce({ size = 3, baseDir, readyTimeoutMs = 30_000, detached = false } = {}) {
  if (!Number.isInteger(size) || size < 1)
    throw new Error(`etcd start: size must be a positive integer, got ${size}`);
  const etcdPath = await findOrInstallEtcd();
  const version = etcdVersion(etcdPath);
  const dataDir = mkdtempSync(join(baseDir ?? tmpdir(), 'mocra-etcd-'));
  const ports = await distinctFreePorts(size * 2);
  const members = Array.from({ length: size }, (_, i) => ({
    name: `m${i + 1}`,
    dataDir: join(dataDir, `m${i + 1}`),
    logFile: join(dataDir, `m${i + 1}.log`),
    clientUrl: `http://127.0.0.1:${ports[2 * i]}`,
    peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
    pid: 0,
    child: undefined,
  }));
  const clusterToken = `mocra-bench-${process.pid}-${Date.now()}`;
  const env = cleanEnv();
  for (const m of members) {
    const log = openSync(m.logFile, 'a');
    try {
      m.child = spawn(etcdPath, memberArgs(m, members, clusterToken), {
        stdio: ['ignore', log, log],
        env,
        detached,
      });
    } finally {
      closeSync(log);
    }
    m.child.on('error', () => undefined);
    if (m.child.pid === undefined) throw new Error(`etcd start: could not spawn ${etcdPath}`);
    m.pid = m.child.pid;
    if (detached) m.child.unref();
  }

  const killOnExit = () => {
    for (const m of members) {
      try {
        process.kill(m.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  if (!detached) process.once('exit', killOnExit);

  let stopped;
  const stop = () => {
    stopped ??= (async () => {
      process.removeListener('exit', killOnExit);
      await killMembers(members);
      await rm(dataDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    await waitHealthy(members, readyTimeoutMs);
  } catch (err) {
    // The logs stay on disk so the failure can be read in full, not just the tail quoted in the error.
    process.removeListener('exit', killOnExit);
    await killMembers(members);
    err.message += `\n(member logs kept in ${dataDir})`;
    err.dataDir = dataDir;
    throw err;
  }
  const state = { endpoints: members.map((m) => m.clientUrl), pids: members.map((m) => m.pid), dataDir };
  await writeFile(
    join(dataDir, STATE_FILE),
    JSON.stringify({ ...state, members: members.map((m) => ({ pid: m.pid, dataDir: m.dataDir })) }),
  );
  return { ...state, etcdPath, version, stop };
}

async function waitHealthy(members, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const m of members) {
      const code = m.child?.exitCode ?? m.child?.signalCode ?? null;
      if (code !== null) {
        throw new Error(
          `etcd start: member ${m.name} (${m.clientUrl}) exited (${code}) before the cluster was healthy; ` +
            `last lines of ${m.logFile}:\n${readLogTail(m.logFile)}`,
        );
      }
    }
    const states = await Promise.all(members.map((m) => healthy(m.clientUrl)));
    if (states.every(Boolean)) return;
    if (Date.now() > deadline) {
      const sick = members.filter((_, i) => !states[i]);
      throw new Error(
        `etcd start: not healthy after ${timeoutMs} ms (${sick.map((m) => m.name).join(', ')} not ready); ` +
          sick.map((m) => `last lines of ${m.logFile}:\n${readLogTail(m.logFile, 8)}`).join('\n'),
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops a cluster started by the CLI (or any startEtcdCluster) from its data dir's state file, and deletes it. */
export async function stopEtcdCluster(dataDir) {
  const stateFile = join(dataDir, STATE_FILE);
  if (!existsSync(stateFile))
    throw new Error(`etcd stop: ${stateFile} not found; is ${dataDir} an etcd cluster dir?`);
  const state = JSON.parse(readFileSync(stateFile, 'utf8'));
  if (!Array.isArray(state.members)) throw new Error(`etcd stop: ${stateFile} has no members list`);
  await killMembers(state.members);
  await rm(dataDir, { recursive: true, force: true });
}

async function main(argv) {
  const [command, arg] = argv;
  if (command === 'find') {
    const path = findEtcd();
    if (path === null) {
      console.error('etcd not found on the PATH, /usr/bin or /usr/local/bin');
      process.exitCode = 1;
      return;
    }
    console.log(path);
    return;
  }
  if (command === 'install') {
    const started = Date.now();
    const path = await findOrInstallEtcd();
    console.log(JSON.stringify({ etcdPath: path, version: etcdVersion(path), ms: Date.now() - started }));
    return;
  }
  if (command === 'start') {
    const cluster = await startEtcdCluster({ detached: true });
    await writeFile(LAST_CLUSTER_FILE, JSON.stringify({ dataDir: cluster.dataDir }));
    console.log(
      JSON.stringify({ endpoints: cluster.endpoints, pids: cluster.pids, dataDir: cluster.dataDir }),
    );
    return;
  }
  if (command === 'stop') {
    let dataDir = arg;
    if (dataDir === undefined) {
      if (!existsSync(LAST_CLUSTER_FILE))
        throw new Error('etcd stop: no dataDir given and no cluster started');
      dataDir = JSON.parse(readFileSync(LAST_CLUSTER_FILE, 'utf8')).dataDir;
    }
    await stopEtcdCluster(resolve(dataDir));
    const last = existsSync(LAST_CLUSTER_FILE)
      ? JSON.parse(readFileSync(LAST_CLUSTER_FILE, 'utf8')).dataDir
      : null;
    if (last === resolve(dataDir)) await rm(LAST_CLUSTER_FILE, { force: true });
    return;
  }
  console.error('usage: node scripts/etcd/etcd-cluster.mjs find|install|start|stop [dataDir]');
  process.exitCode = 2;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
