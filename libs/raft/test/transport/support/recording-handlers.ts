import type { Message, NodeId, RaftLogger } from '../../../src/core/types.js';
import type { RaftTransportHandlers } from '../../../src/transport/raft-transport.js';

/** Handlers that record every callback, with a way to wait until a condition on the record holds. */
export class RecordingHandlers implements RaftTransportHandlers {
  readonly messages: Message[] = [];
  readonly unreachable: NodeId[] = [];
  readonly snapshotStatus: { peer: NodeId; ok: boolean }[] = [];
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  constructor(readonly onRequest?: RaftTransportHandlers['onRequest']) {}

  onMessage(message: Message): void {
    this.messages.push(message);
    this.wake();
  }

  onUnreachable(peer: NodeId): void {
    this.unreachable.push(peer);
    this.wake();
  }

  onSnapshotStatus(peer: NodeId, ok: boolean): void {
    this.snapshotStatus.push({ peer, ok });
    this.wake();
  }

  /** Resolves once `check` holds; the bound only turns a hang into a readable failure. */
  until(check: () => boolean, what: string, boundMs = 20_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`gave up waiting for ${what}`));
      }, boundMs);
      this.waiters.push(waiter);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) {
      if (w.check()) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve();
      }
    }
  }
}

export class RecordingLogger implements RaftLogger {
  readonly lines: string[] = [];
  debug(msg: string): void {
    this.lines.push(`debug ${msg}`);
  }
  info(msg: string): void {
    this.lines.push(`info ${msg}`);
  }
  warn(msg: string): void {
    this.lines.push(`warn ${msg}`);
  }
  error(msg: string): void {
    this.lines.push(`error ${msg}`);
  }
}

export function message(fields: Partial<Message> & Pick<Message, 'type' | 'from' | 'to'>): Message {
  return {
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    ...fields,
  };
}

/** Polls a condition that no callback announces (counters); the bound only turns a hang into a failure. */
export async function eventually(check: () => boolean, what: string, boundMs = 20_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
