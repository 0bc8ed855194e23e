import type { Socket } from 'node:net';
import type { Message, NodeId } from '../core/types.js';
import { FramedSocket } from './framed-socket.js';
import { callHandler, handshakeMismatch, type TransportContext } from './transport-context.js';
import { encodeHandshake, encodeResponse, FrameKind, type Frame } from './wire-frame.codec.js';

/** Requests one connection may have running at once; more are answered with an error at once. */
const MAX_CONCURRENT_REQUESTS = 256;

/**
 * A connection a peer opened to us. Nothing is delivered before its handshake shows our protocol and cluster;
 * after that it carries the peer's message batches and its requests, and our responses.
 */
export class InboundConnection {
  private readonly framed: FramedSocket;
  private readonly remote: string;
  private remoteNodeId: NodeId | undefined;
  private readonly handshakeTimer: NodeJS.Timeout;
  private runningRequests = 0;
  readonly closed: Promise<void>;

  constructor(
    private readonly ctx: TransportContext,
    socket: Socket,
    onClose: () => void,
  ) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    let resolveClosed!: () => void;
    this.closed = new Promise((resolve) => (resolveClosed = resolve));
    this.framed = new FramedSocket(socket, {
      onFrame: (frame) => this.onFrame(frame),
      onBadFrame: (reason, oversized) => {
        ctx.totals.badFrames++;
        if (oversized) ctx.totals.oversizedFrames++;
        ctx.logger.warn(
          `raft transport ${ctx.nodeId}: bad frame from ${this.describePeer()}, closing: ${reason}`,
        );
      },
      onClose: () => {
        clearTimeout(this.handshakeTimer);
        onClose();
        resolveClosed();
      },
    });
    this.handshakeTimer = setTimeout(
      () => this.framed.destroy(`no handshake within ${ctx.connectTimeoutMs} ms`),
      ctx.connectTimeoutMs,
    );
  }

  destroy(reason: string): void {
    this.framed.destroy(reason);
  }

  private describePeer(): string {
    return this.remoteNodeId === undefined ? this.remote : `${this.remoteNodeId} (${this.remote})`;
  }

  private onFrame(frame: Frame): boolean {
    if (this.remoteNodeId === undefined) return this.onHandshake(frame);
    switch (frame.kind) {
      case FrameKind.MessageBatch:
        this.deliver(frame.messages);
        return true;
      case FrameKind.Request:
        this.serve(frame.id, frame.requestKind, frame.body);
        return true;
      default:
        this.badFrame(`unexpected frame kind ${frame.kind}`);
        return false;
    }
  }

  private onHandshake(frame: Frame): boolean {
    const ctx = this.ctx;
    if (frame.kind !== FrameKind.Handshake) {
      this.badFrame(`expected a handshake, got frame kind ${frame.kind}`);
      return false;
    }
    const mismatch = handshakeMismatch(frame, ctx.clusterId);
    if (mismatch !== undefined) {
      ctx.totals.rejectedHandshakes++;
      ctx.logger.warn(
        `raft transport ${ctx.nodeId}: rejected connection from node '${frame.nodeId}' (${this.remote}): ${mismatch}`,
      );
      // Our handshake tells the dialer which cluster it reached, so its error can say so.
      this.framed.endWith(encodeHandshake(ctx.clusterId, ctx.nodeId), `handshake rejected: ${mismatch}`);
      return false;
    }
    clearTimeout(this.handshakeTimer);
    this.remoteNodeId = frame.nodeId;
    this.framed.allowFramesUpTo(ctx.maxFrameBytes);
    this.framed.write(encodeHandshake(ctx.clusterId, ctx.nodeId));
    return true;
  }

  private deliver(messages: readonly Message[]): void {
    const ctx = this.ctx;
    for (const m of messages) {
      if (m.to !== ctx.nodeId || m.from !== this.remoteNodeId) {
        ctx.totals.misaddressed++;
        ctx.logger.debug(
          `raft transport ${ctx.nodeId}: dropped ${m.type} from ${m.from} to ${m.to} on the connection of ` +
            `${this.describePeer()}`,
        );
        continue;
      }
      callHandler(ctx, 'onMessage', () => ctx.handlers.onMessage(m));
    }
  }

  private serve(id: number, kind: string, body: Uint8Array): void {
    const ctx = this.ctx;
    const from = this.remoteNodeId!;
    const onRequest = ctx.handlers.onRequest;
    if (!onRequest) {
      this.respond(id, { error: `node ${ctx.nodeId} serves no requests (kind '${kind}')` });
      return;
    }
    if (this.runningRequests >= MAX_CONCURRENT_REQUESTS) {
      this.respond(id, {
        error: `node ${ctx.nodeId} has ${MAX_CONCURRENT_REQUESTS} requests running; retry later`,
      });
      return;
    }
    this.runningRequests++;
    let answer: Promise<Uint8Array>;
    try {
      answer = Promise.resolve(onRequest(kind, body, from));
    } catch (e) {
      answer = Promise.reject(e as Error);
    }
    answer.then(
      (result) => {
        this.runningRequests--;
        if (!(result instanceof Uint8Array)) {
          this.respond(id, { error: `request handler for '${kind}' returned ${typeof result}, not bytes` });
          return;
        }
        this.respond(id, { body: result });
      },
      (e: unknown) => {
        this.runningRequests--;
        this.respond(id, { error: e instanceof Error ? e.message : String(e) });
      },
    );
  }

  private respond(id: number, result: { body: Uint8Array } | { error: string }): void {
    let frame: Buffer;
    try {
      frame = encodeResponse(id, result);
    } catch (e) {
      frame = encodeResponse(id, { error: `response could not be encoded: ${String(e)}` });
    }
    if (frame.length - 4 > this.ctx.maxFrameBytes) {
      frame = encodeResponse(id, { error: `response of ${frame.length} bytes exceeds maxFrameBytes` });
    }
    this.framed.write(frame);
  }

  private badFrame(reason: string): void {
    this.ctx.totals.badFrames++;
    this.ctx.logger.warn(
      `raft transport ${this.ctx.nodeId}: bad frame from ${this.describePeer()}, closing: ${reason}`,
    );
    this.framed.destroy(`bad frame: ${reason}`);
  }
}
