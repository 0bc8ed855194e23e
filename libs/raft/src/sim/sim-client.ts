import type { KvInput, KvOutput } from '../linearizability/kv.model.js';
import type { Prng } from './prng.js';

export type ClientOpKind = 'open' | 'read' | 'write';

/** The operation a client is working on; retries reuse it (same session sequence number for a write). */
export interface ClientOp {
  id: number;
  kind: ClientOpKind;
  input: KvInput | undefined;
  call: number;
  seq: number;
  attempt: number;
}

/**
 * A simulated client: one operation at a time, session-numbered writes retried at other nodes, reads through
 * ReadIndex. A session that expired is replaced by a fresh session id (a new incarnation).
 */
export class SimClient {
  incarnation = 0;
  sessionOpen = false;
  seq = 0;
  op: ClientOp | undefined;
  /** The node that last answered: tried first on the next attempt. */
  hint: string | undefined;
  completed = 0;
  private counter = 0;
  private readonly lastSeen = new Map<string, string>();

  constructor(
    readonly index: number,
    private readonly prng: Prng,
    private readonly keys: readonly string[],
  ) {}

  get sessionId(): string {
    return `c${this.index}.${this.incarnation}`;
  }

  /** Draws the next operation: appends dominate because they make orderings visible to the checker. */
  nextInput(): KvInput {
    const key = this.prng.pick(this.keys);
    const value = `${this.index}.${++this.counter}`;
    const roll = this.prng.next();
    if (roll < 0.3) return { op: 'get', key };
    if (roll < 0.45) return { op: 'put', key, value };
    if (roll < 0.8) return { op: 'append', key, value: `${value};` };
    return { op: 'cas', key, expected: this.lastSeen.get(key) ?? '', value };
  }

  /** Remembers a value this client saw, so its later cas has a fair chance to succeed. */
  observe(input: KvInput, output: KvOutput): void {
    if (input.op === 'get' && output.value !== undefined) this.lastSeen.set(input.key, output.value);
    if (input.op === 'put' || (input.op === 'cas' && output.ok === true))
      this.lastSeen.set(input.key, input.value ?? '');
  }

  renewSession(): void {
    this.incarnation++;
    this.sessionOpen = false;
    this.seq = 0;
  }
}
