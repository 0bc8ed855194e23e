import type { Message, NodeId } from '../core/types.js';
import { DialedConnection } from './dialed-connection.js';
import { parsePeerAddress, type PeerAddress } from './peer-address.js';
import { PeerSendQueue } from './peer-send-queue.js';
import { ReconnectBackoff, type BackoffOptions } from './reconnect-backoff.js';
import { callHandler, type TransportContext } from './transport-context.js';
import { FRAME_HEADER_BYTES, encodeMessageBatch } from './wire-frame.codec.js';
import { estimateMessageBytes } from './wire-message.codec.js';

export interface PeerLinkOptions {
  maxQueuedMessages: number;
  maxQueuedBytes: number;
  backoff: BackoffOptions;
}

export interface PeerStats {
  /** Messages handed to the socket. */
  sent: number;
  /** Frames handed to the socket (sent / frames is the batching factor). */
  frames: number;
  /** Messages dropped: queue overflow, failed snapshot chunks, frames too large to send. */
  dropped: number;
  /** Messages waiting in the queue now. */
  queued: number;
  /** Connection attempts made after a failure or a lost connection. */
  reconnects: number;
  connected: boolean;
}

type LinkState = 'idle' | 'connecting' | 'open' | 'backoff' | 'closed';

/** Snapshot chunks in one written frame, settled once: written (success) or lost (failure). */
interface SnapshotWrite {
  messages: Message[];
  settled: boolean;
}

/**
 * Our side of the connection to one peer: a bounded queue, one outbound connection that carries our messages, and
 * reconnection with backoff. Messages queued in one event-loop turn leave as one frame.
 */
export class PeerLink {
  private readonly queue: PeerSendQueue;
  private readonly backoff: ReconnectBackoff;
  private target: PeerAddress;
  private state: LinkState = 'idle';
  private conn: DialedConnection | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private flushImmediate: NodeJS.Immediate | undefined;
  private replacing = false;
  private failuresInARow = 0;
  private readonly snapshotWrites = new Set<SnapshotWrite>();
  /** A snapshot that lost a chunk: its remaining chunks are useless to the peer and are not sent. */
  private failedSnapshot: { index: number; term: number } | undefined;
  private sent = 0;
  private frames = 0;
  private dropped = 0;
  private reconnects = 0;

  constructor(
    private readonly ctx: TransportContext,
    readonly peerId: NodeId,
    private address: string,
    private readonly options: PeerLinkOptions,
  ) {
    this.target = parsePeerAddress(address);
    this.queue = new PeerSendQueue(options.maxQueuedMessages, options.maxQueuedBytes);
    this.backoff = new ReconnectBackoff(options.backoff);
  }

  stats(): PeerStats {
    return {
      sent: this.sent,
      frames: this.frames,
      dropped: this.dropped,
      queued: this.queue.length,
      reconnects: this.reconnects,
      connected: this.state === 'open',
    };
  }

  get currentAddress(): string {
    return this.address;
  }

  enqueue(messages: readonly Message[]): void {
    if (this.state === 'closed') return;
    let overflow: Message[] | undefined;
    for (const m of messages) {
      if (m.type === 'snap' && !this.admitSnapshotChunk(m)) continue;
      const dropped = this.queue.push(m, estimateMessageBytes(m));
      if (dropped.length > 0) (overflow ??= []).push(...dropped);
    }
    // Once per call, not per dropped message: the core only needs to know it should probe.
    if (overflow) this.drop(overflow, 'send queue full');
    if (overflow) callHandler(this.ctx, 'onUnreachable', () => this.ctx.handlers.onUnreachable(this.peerId));
    if (this.state === 'open') {
      if (this.ctx.flushOnSend) this.flush();
      else this.scheduleFlush();
    } else if (this.state === 'idle') this.connect();
  }

  setAddress(address: string): void {
    if (address === this.address) return;
    this.target = parsePeerAddress(address);
    this.address = address;
    if (this.state === 'closed') return;
    clearTimeout(this.retryTimer);
    this.backoff.reset();
    if (this.conn) {
      this.replacing = true;
      this.conn.destroy(`address of ${this.peerId} changed to ${address}`);
    } else {
      this.state = 'idle';
      if (this.queue.length > 0) this.connect();
    }
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.retryTimer);
    if (this.flushImmediate) clearImmediate(this.flushImmediate);
    this.conn?.destroy('transport closed');
    this.conn = undefined;
    this.queue.clear();
    this.snapshotWrites.clear();
  }

  private connect(): void {
    this.state = 'connecting';
    const conn = new DialedConnection(this.ctx, this.address, this.target, {
      onOpen: (remoteNodeId) => {
        if (remoteNodeId !== this.peerId) {
          this.ctx.logger.warn(
            `raft transport ${this.ctx.nodeId}: ${this.address} answered as node '${remoteNodeId}', ` +
              `expected '${this.peerId}'`,
          );
        }
        this.state = 'open';
        this.backoff.reset();
        this.failuresInARow = 0;
        this.ctx.logger.info(
          `raft transport ${this.ctx.nodeId}: connected to ${this.peerId} at ${this.address}`,
        );
        conn.socket.on('drain', () => this.flush());
        this.scheduleFlush();
      },
      onFrame: (frame) => {
        // Peers never answer on the connection that carries our messages.
        this.ctx.totals.badFrames++;
        this.ctx.logger.warn(
          `raft transport ${this.ctx.nodeId}: unexpected frame kind ${frame.kind} from ${this.peerId}, closing`,
        );
        conn.destroy(`unexpected frame kind ${frame.kind} from ${this.peerId}`);
        return false;
      },
      onClose: (reason, opened) => this.onConnectionClosed(conn, reason, opened),
    });
    this.conn = conn;
  }

  private onConnectionClosed(conn: DialedConnection, reason: string, opened: boolean): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    this.failSnapshotWrites();
    if (this.state === 'closed') return;
    for (const m of this.queue.removeWhere((q) => q.type === 'snap')) this.failSnapshotChunk(m);
    if (this.replacing) {
      this.replacing = false;
      this.state = 'idle';
      if (this.queue.length > 0) this.connect();
      return;
    }
    const log = opened || this.failuresInARow === 0 ? this.ctx.logger.warn : this.ctx.logger.debug;
    log.call(
      this.ctx.logger,
      `raft transport ${this.ctx.nodeId}: ${opened ? 'lost connection to' : 'cannot reach'} ${this.peerId} at ` +
        `${this.address}: ${reason}`,
    );
    this.failuresInARow++;
    // One report per backoff round, however many messages wait for the peer.
    callHandler(this.ctx, 'onUnreachable', () => this.ctx.handlers.onUnreachable(this.peerId));
    // The handler may have closed the transport.
    if ((this.state as LinkState) === 'closed') return;
    this.state = 'backoff';
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.state !== 'backoff') return;
      if (this.queue.length === 0) {
        this.state = 'idle';
        return;
      }
      this.reconnects++;
      this.connect();
    }, this.backoff.nextDelayMs());
  }

  private scheduleFlush(): void {
    this.flushImmediate ??= setImmediate(() => {
      this.flushImmediate = undefined;
      this.flush();
    });
  }

  private flush(): void {
    const conn = this.conn;
    if (this.state !== 'open' || !conn) return;
    // Estimates leave headroom under the frame limit; an encoded frame that still exceeds it is split.
    const batchBytes = Math.max(1, Math.floor(this.ctx.maxFrameBytes / 2));
    while (this.queue.length > 0 && this.conn === conn) {
      if (conn.socket.writableNeedDrain) return;
      this.writeBatch(conn, this.queue.takeBatch(batchBytes));
    }
  }

  private writeBatch(conn: DialedConnection, batch: Message[]): void {
    let frame: Buffer;
    try {
      frame = encodeMessageBatch(batch);
    } catch (e) {
      this.ctx.logger.error(
        `raft transport ${this.ctx.nodeId}: cannot encode for ${this.peerId}: ${String(e)}`,
      );
      this.drop(batch, 'not encodable');
      return;
    }
    if (frame.length - FRAME_HEADER_BYTES > this.ctx.maxFrameBytes) {
      if (batch.length === 1) {
        this.ctx.logger.warn(
          `raft transport ${this.ctx.nodeId}: ${batch[0]!.type} message to ${this.peerId} encodes to ` +
            `${frame.length} bytes, above maxFrameBytes ${this.ctx.maxFrameBytes}: dropped`,
        );
        this.drop(batch, 'frame too large');
        return;
      }
      const half = batch.length >> 1;
      this.writeBatch(conn, batch.slice(0, half));
      this.writeBatch(conn, batch.slice(half));
      return;
    }
    const snaps = batch.filter((m) => m.type === 'snap');
    this.sent += batch.length;
    this.frames++;
    if (snaps.length === 0) {
      conn.write(frame);
      return;
    }
    const write: SnapshotWrite = { messages: snaps, settled: false };
    this.snapshotWrites.add(write);
    conn.write(frame, (error) => {
      if (write.settled) return;
      write.settled = true;
      this.snapshotWrites.delete(write);
      if (error) {
        for (const m of snaps) this.failSnapshotChunk(m);
        return;
      }
      for (const m of snaps) {
        const last = m.chunk === undefined || m.chunk.index === m.chunk.total - 1;
        if (last && !this.isFailedSnapshot(m)) this.reportSnapshot(true);
      }
    });
  }

  /** False when the chunk belongs to a snapshot that already lost a chunk (its first chunk starts a new try). */
  private admitSnapshotChunk(m: Message): boolean {
    if (m.chunk?.index === 0 && this.isFailedSnapshot(m)) this.failedSnapshot = undefined;
    if (!this.isFailedSnapshot(m)) return true;
    this.dropped++;
    return false;
  }

  private drop(messages: readonly Message[], why: string): void {
    this.dropped += messages.length;
    for (const m of messages) if (m.type === 'snap') this.failSnapshotChunk(m);
    this.ctx.logger.debug(
      `raft transport ${this.ctx.nodeId}: dropped ${messages.length} for ${this.peerId}: ${why}`,
    );
  }

  private failSnapshotWrites(): void {
    for (const write of this.snapshotWrites) {
      write.settled = true;
      for (const m of write.messages) this.failSnapshotChunk(m);
    }
    this.snapshotWrites.clear();
  }

  /** Reports a lost chunk once per snapshot and discards the rest of that snapshot's queued chunks. */
  private failSnapshotChunk(m: Message): void {
    if (this.state === 'closed') return;
    if (m.chunk !== undefined && m.snapshot !== undefined) {
      if (this.isFailedSnapshot(m)) return;
      const { index, term } = m.snapshot.metadata;
      this.failedSnapshot = { index, term };
      const rest = this.queue.removeWhere((q) => q.type === 'snap' && this.isFailedSnapshot(q));
      this.dropped += rest.length;
    }
    this.reportSnapshot(false);
  }

  private isFailedSnapshot(m: Message): boolean {
    const f = this.failedSnapshot;
    return (
      f !== undefined &&
      m.chunk !== undefined &&
      m.snapshot?.metadata.index === f.index &&
      m.snapshot.metadata.term === f.term
    );
  }

  private reportSnapshot(ok: boolean): void {
    callHandler(this.ctx, 'onSnapshotStatus', () => this.ctx.handlers.onSnapshotStatus(this.peerId, ok));
  }
}
