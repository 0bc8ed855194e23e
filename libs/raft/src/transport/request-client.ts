import { DialedConnection } from './dialed-connection.js';
import { parsePeerAddress } from './peer-address.js';
import type { TransportContext } from './transport-context.js';
import { encodeRequest, FRAME_HEADER_BYTES, FrameKind, type Frame } from './wire-frame.codec.js';

/** An idle request connection is closed after this long; the next request dials again. */
const IDLE_CLOSE_MS = 30_000;

interface PendingRequest {
  kind: string;
  resolve(body: Uint8Array): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** Failure of request(): names the address and kind so a caller can tell which call broke. */
export class RaftRequestError extends Error {
  constructor(
    readonly address: string,
    readonly kind: string,
    reason: string,
  ) {
    super(`raft transport: request '${kind}' to ${address} ${reason}`);
    this.name = 'RaftRequestError';
  }
}

/** One outbound connection to an address, multiplexing request/response pairs by id. */
export class RequestClient {
  private readonly conn: DialedConnection;
  private readonly pending = new Map<number, PendingRequest>();
  /** Frames of calls made before the handshake completed. */
  private waiting: Buffer[] = [];
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private closedReason: string | undefined;
  private readonly maxFrameBytes: number;

  constructor(
    ctx: TransportContext,
    readonly address: string,
    private readonly onClose: () => void,
  ) {
    this.maxFrameBytes = ctx.maxFrameBytes;
    this.conn = new DialedConnection(ctx, address, parsePeerAddress(address), {
      onOpen: () => {
        for (const frame of this.waiting) this.conn.write(frame);
        this.waiting = [];
      },
      onFrame: (frame) => this.onFrame(frame),
      onClose: (reason) => this.fail(reason),
    });
  }

  call(kind: string, body: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.closedReason !== undefined) {
      return Promise.reject(new RaftRequestError(this.address, kind, `failed: ${this.closedReason}`));
    }
    const frame = encodeRequest(this.nextId, kind, body);
    if (frame.length - FRAME_HEADER_BYTES > this.maxFrameBytes) {
      return Promise.reject(
        new RaftRequestError(
          this.address,
          kind,
          `body of ${body.byteLength} bytes exceeds maxFrameBytes ${this.maxFrameBytes}`,
        ),
      );
    }
    clearTimeout(this.idleTimer);
    const id = this.nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RaftRequestError(this.address, kind, `timed out after ${timeoutMs} ms`));
        this.armIdleTimer();
      }, timeoutMs);
      this.pending.set(id, { kind, resolve, reject, timer });
      if (this.conn.isOpen) this.conn.write(frame);
      else this.waiting.push(frame);
    });
  }

  close(reason: string): void {
    this.conn.destroy(reason);
    this.fail(reason);
  }

  private onFrame(frame: Frame): boolean {
    if (frame.kind !== FrameKind.Response) {
      this.conn.destroy(`unexpected frame kind ${frame.kind} on a request connection`);
      return false;
    }
    const p = this.pending.get(frame.id);
    // A response to a call that already timed out.
    if (!p) return true;
    this.pending.delete(frame.id);
    clearTimeout(p.timer);
    if (frame.ok) p.resolve(frame.body);
    else p.reject(new RaftRequestError(this.address, p.kind, `failed on the remote: ${frame.error}`));
    this.armIdleTimer();
    return true;
  }

  private armIdleTimer(): void {
    if (this.pending.size > 0 || this.closedReason !== undefined) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.close('idle'), IDLE_CLOSE_MS);
    this.idleTimer.unref();
  }

  private fail(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    clearTimeout(this.idleTimer);
    this.waiting = [];
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new RaftRequestError(this.address, p.kind, `failed: ${reason}`));
    }
    this.pending.clear();
    this.onClose();
  }
}
