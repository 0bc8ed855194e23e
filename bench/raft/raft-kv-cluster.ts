import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';

/** The compiled member program: beside this file when it runs from dist, else in the build output. */
function memberScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'raft-kv-server.js');
  if (existsSync(beside)) return beside;
  return join(here, '../../dist/bench/raft/raft-kv-server.js');
}

/** Options of bench/raft/raft-kv-server.ts (one cluster member process). */
export interface MemberOptions {
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  snapshotInterval: number;
  snapshotKeepEntries: number;
}

export interface MemberStatus {
  id: string;
  role: string;
  leader: string;
  term: number;
  commit: number;
  applied: number;
  snapshotIndex: number;
  voters: string[];
  learners: string[];
  metrics: { snapshotsRestored: number; snapshotsTaken: number; fsyncs: number };
}

export class Member {
  process: ChildProcess | undefined;
  http = '';
  stderr = '';
  constructor(
    readonly id: string,
    readonly raftPort: number,
    readonly dataDir: string,
  ) {}

  get raftAddress(): string {
    return `127.0.0.1:${this.raftPort}`;
  }

  get alive(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Several raft-kv-server processes on loopback, each with its own classic-level directory. */
export class RaftKvCluster {
  readonly members: Member[] = [];
  readonly root = mkdtempSync(join(tmpdir(), 'mocra-raft-cluster-'));
  readonly clusterId = `test-${process.pid}-${Date.now()}`;
  private readonly agent: Agent;

  constructor(
    readonly options: MemberOptions,
    /** HTTP connections per member: at least the number of concurrent clients. */
    connections = 64,
  ) {
    this.agent = new Agent({ connections, keepAliveTimeout: 30_000, pipelining: 1 });
  }

  async addMembers(count: number): Promise<Member[]> {
    const fresh: Member[] = [];
    for (let i = 0; i < count; i++) {
      const id = `n${this.members.length + 1}`;
      const member = new Member(id, await freePort(), join(this.root, id));
      this.members.push(member);
      fresh.push(member);
    }
    return fresh;
  }

  /** Starts founding members (all of them share the same initialMembers). */
  async bootstrap(count: number): Promise<void> {
    const founders = await this.addMembers(count);
    const initialMembers = Object.fromEntries(founders.map((m) => [m.id, m.raftAddress]));
    await Promise.all(founders.map((m) => this.launch(m, { initialMembers })));
  }

  /** Starts a new member that joins through `via` (one member's raft address). */
  async join(via: Member): Promise<Member> {
    const [member] = await this.addMembers(1);
    await this.launch(member!, { join: [via.raftAddress] });
    return member!;
  }

  /** (Re)starts a member's process from its data directory. */
  async launch(member: Member, extra: Record<string, unknown> = {}): Promise<void> {
    const script = memberScript();
    const env = {
      ...process.env,
      RAFT_KV_OPTIONS: JSON.stringify({
        id: member.id,
        clusterId: this.clusterId,
        dataDir: member.dataDir,
        raftPort: member.raftPort,
        httpPort: 0,
        ...this.options,
        ...extra,
      }),
    };
    const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    member.process = child;
    member.stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      member.stderr = (member.stderr + chunk.toString()).slice(-8_000);
    });
    member.http = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`${member.id} did not start in 20 s: ${member.stderr}`)),
        20_000,
      );
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /RAFT_KV_READY (\{.*\})/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve((JSON.parse(m[1]!) as { http: string }).http);
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${member.id} exited (${code ?? signal}) before it was ready: ${member.stderr}`));
      });
    });
  }

  kill(member: Member, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = member.process;
    if (!child || !member.alive) return Promise.resolve();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    return exited;
  }

  signal(member: Member, signal: NodeJS.Signals): void {
    member.process?.kill(signal);
  }

  async status(member: Member, timeoutMs = 1_000): Promise<MemberStatus | undefined> {
    if (!member.alive) return undefined;
    try {
      const res = await request(`http://${member.http}/status`, {
        dispatcher: this.agent,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        return undefined;
      }
      return (await res.body.json()) as MemberStatus;
    } catch {
      return undefined;
    }
  }

  /** The member every live member agrees leads, once they agree. */
  async leader(among: Member[] = this.members, timeoutMs = 15_000): Promise<Member> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const live = among.filter((m) => m.alive);
      const statuses = await Promise.all(live.map((m) => this.status(m)));
      const leaders = statuses.filter((s) => s?.role === 'leader').map((s) => s!.id);
      const agreed = statuses.every((s) => s !== undefined && s.leader === leaders[0]);
      if (leaders.length === 1 && agreed) return this.members.find((m) => m.id === leaders[0])!;
      if (Date.now() > deadline)
        throw new Error(`no agreed leader within ${timeoutMs} ms: ${JSON.stringify(statuses)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async put(member: Member, key: string, value: string | Uint8Array, timeoutMs: number): Promise<void> {
    const res = await request(`http://${member.http}/kv/${encodeURIComponent(key)}`, {
      method: 'PUT',
      body: value,
      dispatcher: this.agent,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    if (res.statusCode !== 204) throw new Error(`put ${key} on ${member.id}: ${res.statusCode} ${text}`);
  }

  async get(member: Member, key: string, timeoutMs: number): Promise<string> {
    const res = await request(`http://${member.http}/kv/${encodeURIComponent(key)}`, {
      dispatcher: this.agent,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`get ${key} on ${member.id}: ${res.statusCode} ${text}`);
    return text;
  }

  async stop(): Promise<void> {
    for (const m of this.members) {
      if (m.process?.signalCode === 'SIGSTOP') m.process.kill('SIGCONT');
    }
    await Promise.all(this.members.map((m) => this.kill(m)));
    await this.agent.close();
    rmSync(this.root, { recursive: true, force: true });
  }
}
