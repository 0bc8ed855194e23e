import type { KvInput, KvOutput, Operation } from '@mocra/raft';
import type { Member, RaftKvCluster } from '../../../bench/raft/raft-kv-cluster.js';

/** Errors after which the operation certainly had no effect: the request never reached a node, or was refused. */
function certainlyFailed(error: unknown): boolean {
  const text =
    error instanceof Error ? `${error.message} ${(error as { code?: string }).code ?? ''}` : String(error);
  return /ECONNREFUSED|ProposalDroppedError|RaftNodeStoppedError/.test(text);
}

/**
 * Closed-loop clients writing and reading a few shared keys on any member, plus one write-once key per acknowledged
 * write, recording a history for the linearizability checker. Writes with unknown outcome (timeout, connection
 * lost mid-request) stay in the history as open operations; reads that fail are left out (they change nothing).
 */
export class KvWorkload {
  readonly history: Operation<KvInput, KvOutput>[] = [];
  /** Write-once keys whose write was acknowledged: each must be readable at the end. */
  readonly acknowledged: Array<{ key: string; value: string }> = [];
  /** Successful linearizable reads per member id. */
  readonly readsBy = new Map<string, number>();
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly started = performance.now();
  targets: Member[];

  constructor(
    private readonly cluster: RaftKvCluster,
    targets: Member[],
    private readonly opts: { clients: number; sharedKeys: number; opTimeoutMs: number },
  ) {
    this.targets = targets;
  }

  start(): void {
    this.running = true;
    for (let c = 0; c < this.opts.clients; c++) this.loops.push(this.client(c));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  get acknowledgedWrites(): number {
    return this.history.filter((op) => op.input.op === 'put' && op.output !== undefined).length;
  }

  private now(): number {
    return performance.now() - this.started;
  }

  private async client(clientId: number): Promise<void> {
    for (let n = 0; this.running; n++) {
      const target = this.targets[Math.floor(Math.random() * this.targets.length)]!;
      const roll = Math.random();
      if (roll < 0.45) {
        await this.put(
          clientId,
          target,
          `s${Math.floor(Math.random() * this.opts.sharedKeys)}`,
          `c${clientId}-${n}`,
        );
      } else if (roll < 0.7) {
        const key = `once-c${clientId}-${n}`;
        if (await this.put(clientId, target, key, key)) this.acknowledged.push({ key, value: key });
      } else {
        await this.get(clientId, target, `s${Math.floor(Math.random() * this.opts.sharedKeys)}`);
      }
    }
  }

  private async put(clientId: number, target: Member, key: string, value: string): Promise<boolean> {
    const input: KvInput = { op: 'put', key, value };
    const call = this.now();
    try {
      await this.cluster.put(target, key, value, this.opts.opTimeoutMs);
      this.history.push({ clientId, input, call, output: {}, return: this.now() });
      return true;
    } catch (error) {
      if (!certainlyFailed(error)) {
        this.history.push({ clientId, input, call, output: undefined, return: Number.POSITIVE_INFINITY });
      }
      await new Promise((r) => setTimeout(r, 20));
      return false;
    }
  }

  private async get(clientId: number, target: Member, key: string): Promise<void> {
    const call = this.now();
    try {
      const value = await this.cluster.get(target, key, this.opts.opTimeoutMs);
      this.history.push({ clientId, input: { op: 'get', key }, call, output: { value }, return: this.now() });
      this.readsBy.set(target.id, (this.readsBy.get(target.id) ?? 0) + 1);
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
