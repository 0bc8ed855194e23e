import { connect } from 'node:net';
import { FramedSocket } from './framed-socket.js';
import type { PeerAddress } from './peer-address.js';
import { handshakeMismatch, type TransportContext } from './transport-context.js';
import { encodeHandshake, FrameKind, type Frame } from './wire-frame.codec.js';

export interface DialEvents {
  /** The remote answered with a handshake of our protocol and cluster. */
  onOpen(remoteNodeId: string): void;
  /** A frame after the handshake. Return false after closing the connection. */
  onFrame(frame: Frame): boolean;
  /** Once; `opened` tells whether the handshake had completed. */
  onClose(reason: string, opened: boolean): void;
}

/**
 * An outbound connection: connects, sends our handshake, and only counts as open once the remote's handshake
 * shows the same protocol and cluster. Connect and handshake together must finish within connectTimeoutMs, so a
 * stopped (SIGSTOP) process or a black-holed address fails like a refused connection.
 */
export class DialedConnection {
  private readonly framed: FramedSocket;
  private opened = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: TransportContext,
    readonly address: string,
    target: PeerAddress,
    private readonly events: DialEvents,
  ) {
    const socket = connect({ host: target.host, port: target.port });
    this.timer = setTimeout(
      () => this.destroy(`no handshake from ${address} within ${ctx.connectTimeoutMs} ms`),
      ctx.connectTimeoutMs,
    );
    this.framed = new FramedSocket(socket, {
      onFrame: (frame) => this.onFrame(frame),
      onBadFrame: (reason, oversized) => {
        ctx.totals.badFrames++;
        if (oversized) ctx.totals.oversizedFrames++;
        ctx.logger.warn(`raft transport ${ctx.nodeId}: bad frame from ${address}, closing: ${reason}`);
      },
      onClose: (reason) => {
        clearTimeout(this.timer);
        this.events.onClose(reason, this.opened);
      },
    });
    socket.once('connect', () => this.framed.write(encodeHandshake(ctx.clusterId, ctx.nodeId)));
  }

  get isOpen(): boolean {
    return this.opened && !this.framed.isClosed;
  }

  get socket(): FramedSocket['socket'] {
    return this.framed.socket;
  }

  write(frame: Uint8Array, done?: (error?: Error | null) => void): boolean {
    return this.framed.write(frame, done);
  }

  destroy(reason: string): void {
    clearTimeout(this.timer);
    this.framed.destroy(reason);
  }

  private onFrame(frame: Frame): boolean {
    if (this.opened) return this.events.onFrame(frame);
    if (frame.kind !== FrameKind.Handshake) {
      this.reject(`expected a handshake, got frame kind ${frame.kind}`);
      return false;
    }
    const mismatch = handshakeMismatch(frame, this.ctx.clusterId);
    if (mismatch !== undefined) {
      this.ctx.totals.rejectedHandshakes++;
      this.ctx.logger.warn(
        `raft transport ${this.ctx.nodeId}: ${this.address} (node '${frame.nodeId}') rejected: ${mismatch}`,
      );
      this.destroy(`handshake rejected: ${mismatch}`);
      return false;
    }
    clearTimeout(this.timer);
    this.opened = true;
    this.framed.allowFramesUpTo(this.ctx.maxFrameBytes);
    this.events.onOpen(frame.nodeId);
    return !this.framed.isClosed;
  }

  private reject(reason: string): void {
    this.ctx.totals.badFrames++;
    this.ctx.logger.warn(
      `raft transport ${this.ctx.nodeId}: bad frame from ${this.address}, closing: ${reason}`,
    );
    this.destroy(`bad frame: ${reason}`);
  }
}
