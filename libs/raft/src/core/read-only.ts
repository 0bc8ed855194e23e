import type { Message, NodeId } from './types.js';

/** A ReadIndex request waiting for the heartbeat round that confirms the leader still leads. */
export interface ReadIndexStatus {
  req: Message;
  index: number;
  acks: Set<NodeId>;
}

export function ctxKey(ctx: Uint8Array | undefined): string {
  if (!ctx || ctx.length === 0) return '';
  let s = '';
  for (let i = 0; i < ctx.length; i++) s += String.fromCharCode(ctx[i]!);
  return s;
}

/**
 * Pending ReadIndex requests on the leader, in arrival order. A heartbeat round carries the context of the
 * newest request; a quorum of acks for it confirms every request queued up to it, so reads pending at one round
 * share it.
 */
export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];
  /** Requests added since the last heartbeat round went out. */
  private unsent = false;

  addRequest(index: number, req: Message): void {
    const key = ctxKey(req.context);
    if (this.pending.has(key)) return;
    this.pending.set(key, { req, index, acks: new Set() });
    this.queue.push(key);
    this.unsent = true;
  }

  /** Records an ack for the round carrying ctx; returns the acks so far (undefined for an unknown ctx). */
  recvAck(id: NodeId, ctx: Uint8Array | undefined): Set<NodeId> | undefined {
    const rs = this.pending.get(ctxKey(ctx));
    if (!rs) return undefined;
    rs.acks.add(id);
    return rs.acks;
  }

  /** Releases every request queued up to and including the one for ctx. */
  advance(ctx: Uint8Array | undefined): ReadIndexStatus[] {
    const key = ctxKey(ctx);
    const pos = this.queue.indexOf(key);
    if (pos < 0) return [];
    const released = this.queue.slice(0, pos + 1);
    this.queue = this.queue.slice(pos + 1);
    const out: ReadIndexStatus[] = [];
    for (const k of released) {
      const rs = this.pending.get(k);
      if (rs) out.push(rs);
      this.pending.delete(k);
    }
    return out;
  }

  /** Context of the newest pending request, if a heartbeat round for it still has to go out. */
  takeUnsentCtx(): Uint8Array | undefined {
    if (!this.unsent) return undefined;
    this.unsent = false;
    const last = this.queue[this.queue.length - 1];
    return last === undefined ? undefined : this.pending.get(last)?.req.context;
  }

  hasUnsent(): boolean {
    return this.unsent;
  }

  lastPendingCtx(): Uint8Array | undefined {
    const last = this.queue[this.queue.length - 1];
    return last === undefined ? undefined : this.pending.get(last)?.req.context;
  }
}
