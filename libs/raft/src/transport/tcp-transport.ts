import { createServer, type Server, type Socket } from 'node:net';
import type { Message, NodeId, RaftLogger } from '../core/types.js';
import { InboundConnection } from './inbound-connection.js';
import { formatPeerAddress, parsePeerAddress } from './peer-address.js';
import { PeerLink, type PeerStats } from './peer-link.js';
import type { RaftTransport, RaftTransportHandlers } from './raft-transport.js';
import type { BackoffOptions } from './reconnect-backoff.js';
import { RaftRequestError, RequestClient } from './request-client.js';
import { callHandler, type TransportContext, type TransportTotals } from './transport-context.js';
import { isWireMessageType } from './wire-message.codec.js';

export interface TcpTransportOptions {
  nodeId: NodeId;
  /** Nodes only talk to nodes with the same cluster id: the handshake refuses any other. */
  clusterId: string;
  /** Port 0 picks a free port; start() resolves with the bound address. */
  listen: { host: string; port: number };
  /** Initial peer addresses (host:port) by node id. */
  peers?: Record<NodeId, string>;
  /** Per peer; when full the oldest messages are dropped. Default 4096. */
  maxQueuedMessages?: number;
  /** Per peer, estimated wire bytes. Default 64 MiB. */
  maxQueuedBytes?: number;
  /** Largest frame sent or accepted. Default 16 MiB (the core cuts snapshots into 1 MiB chunks). */
  maxFrameBytes?: number;
  /** Reconnect delays. Default { initialMs: 50, maxMs: 2000 }. */
  backoff?: Partial<BackoffOptions>;
  /** Connect plus handshake must finish within this, in both directions. Default 3000 ms. */
  connectTimeoutMs?: number;
  /**
   * Write each send() call's messages at once instead of gathering a whole event-loop turn into one frame per peer.
   * For callers that already batch (RaftNode sends once per Ready): it saves a turn of latency on every hop.
   * Default false.
   */
  flushOnSend?: boolean;
  logger?: RaftLogger;
}

export interface TcpTransportStats extends TransportTotals {
  peers: Record<NodeId, PeerStats>;
}

const NOOP_LOGGER: RaftLogger = { debug() {}, info() {}, warn() {}, error() {} };

const NOT_STARTED: RaftTransportHandlers = {
  onMessage() {},
  onUnreachable() {},
  onSnapshotStatus() {},
};

/**
 * Raft transport over TCP: length-prefixed msgpack frames, one outbound connection per peer for our messages,
 * bounded per-peer queues, reconnect with backoff, and a cluster-id handshake on every connection.
 *
 * Byte fields of delivered messages (entry data, snapshot data, context) are views into their frame's buffer, not
 * copies: a consumer that keeps a small slice for a long time (a state machine storing a value) should copy it.
 * Node ids and the cluster id are at most 256 characters on the wire.
 */
export class TcpTransport implements RaftTransport {
  private readonly ctx: TransportContext;
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly requestClients = new Map<string, RequestClient>();
  private readonly inbound = new Set<InboundConnection>();
  private readonly linkOptions: ConstructorParameters<typeof PeerLink>[3];
  private readonly peerAddresses = new Map<NodeId, string>();
  private server: Server | undefined;
  private state: 'new' | 'started' | 'closed' = 'new';

  constructor(private readonly options: TcpTransportOptions) {
    const positive = (name: string, value: number | undefined, fallback: number): number => {
      const v = value ?? fallback;
      if (!Number.isSafeInteger(v) || v <= 0) {
        throw new Error(`TcpTransport option ${name} must be a positive integer, got ${String(value)}`);
      }
      return v;
    };
    if (typeof options.nodeId !== 'string' || options.nodeId.length === 0) {
      throw new Error('TcpTransport option nodeId must be a non-empty string');
    }
    if (typeof options.clusterId !== 'string' || options.clusterId.length === 0) {
      throw new Error('TcpTransport option clusterId must be a non-empty string');
    }
    const maxFrameBytes = positive('maxFrameBytes', options.maxFrameBytes, 16 * 1024 * 1024);
    if (maxFrameBytes > 0xffffffff) throw new Error('TcpTransport option maxFrameBytes must fit in 32 bits');
    this.linkOptions = {
      maxQueuedMessages: positive('maxQueuedMessages', options.maxQueuedMessages, 4096),
      maxQueuedBytes: positive('maxQueuedBytes', options.maxQueuedBytes, 64 * 1024 * 1024),
      backoff: {
        initialMs: positive('backoff.initialMs', options.backoff?.initialMs, 50),
        maxMs: positive('backoff.maxMs', options.backoff?.maxMs, 2000),
      },
    };
    this.ctx = {
      nodeId: options.nodeId,
      clusterId: options.clusterId,
      maxFrameBytes,
      connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, 3000),
      flushOnSend: options.flushOnSend ?? false,
      logger: options.logger ?? NOOP_LOGGER,
      totals: { badFrames: 0, oversizedFrames: 0, rejectedHandshakes: 0, misaddressed: 0, unknownPeer: 0 },
      handlers: NOT_STARTED,
    };
    for (const [id, address] of Object.entries(options.peers ?? {})) this.setPeer(id, address);
  }

  async start(handlers: RaftTransportHandlers): Promise<string> {
    if (this.state !== 'new') throw new Error(`TcpTransport ${this.ctx.nodeId}: start() called twice`);
    this.state = 'started';
    this.ctx.handlers = handlers;
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    const { host, port } = this.options.listen;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) =>
      this.ctx.logger.error(`raft transport ${this.ctx.nodeId}: server error: ${e.message}`),
    );
    const bound = server.address();
    if (bound === null || typeof bound === 'string') return String(bound);
    return formatPeerAddress(bound.address, bound.port);
  }

  send(messages: readonly Message[]): void {
    if (this.state !== 'started') {
      if (this.state === 'closed') return;
      throw new Error(`TcpTransport ${this.ctx.nodeId}: send() before start()`);
    }
    // Grouped per peer so each link queues, and reports an overflow, once per call.
    const byPeer = new Map<NodeId, Message[]>();
    for (const m of messages) {
      if (!isWireMessageType(m.type)) {
        this.ctx.logger.warn(
          `raft transport ${this.ctx.nodeId}: local message ${m.type} to ${m.to} not sent`,
        );
        continue;
      }
      const list = byPeer.get(m.to);
      if (list) list.push(m);
      else byPeer.set(m.to, [m]);
    }
    for (const [peer, list] of byPeer) this.enqueue(peer, list);
  }

  setPeer(id: NodeId, address: string): void {
    if (this.state === 'closed') return;
    parsePeerAddress(address);
    this.peerAddresses.set(id, address);
    const link = this.links.get(id);
    if (link) link.setAddress(address);
  }

  removePeer(id: NodeId): void {
    this.peerAddresses.delete(id);
    this.links.get(id)?.close();
    this.links.delete(id);
  }

  request(address: string, kind: string, body: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.state === 'closed') {
      return Promise.reject(new RaftRequestError(address, kind, 'failed: transport closed'));
    }
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      return Promise.reject(new RaftRequestError(address, kind, `has an invalid timeout ${timeoutMs}`));
    }
    let client = this.requestClients.get(address);
    if (!client) {
      try {
        parsePeerAddress(address);
      } catch (e) {
        return Promise.reject(new RaftRequestError(address, kind, `failed: ${(e as Error).message}`));
      }
      const created: RequestClient = new RequestClient(this.ctx, address, () => {
        if (this.requestClients.get(address) === created) this.requestClients.delete(address);
      });
      client = created;
      this.requestClients.set(address, client);
    }
    return client.call(kind, body, timeoutMs);
  }

  stats(): TcpTransportStats {
    const peers: Record<NodeId, PeerStats> = {};
    for (const id of this.peerAddresses.keys()) {
      peers[id] = { sent: 0, frames: 0, dropped: 0, queued: 0, reconnects: 0, connected: false };
    }
    for (const [id, link] of this.links) peers[id] = link.stats();
    return { ...this.ctx.totals, peers };
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasStarted = this.state === 'started';
    this.state = 'closed';
    for (const link of this.links.values()) link.close();
    this.links.clear();
    for (const client of [...this.requestClients.values()]) client.close('transport closed');
    this.requestClients.clear();
    const serverClosed = new Promise<void>((resolve) => {
      if (!wasStarted || !this.server) resolve();
      else this.server.close(() => resolve());
    });
    const inbound = [...this.inbound];
    for (const conn of inbound) conn.destroy('transport closed');
    await Promise.all([serverClosed, ...inbound.map((c) => c.closed)]);
  }

  private enqueue(peer: NodeId, messages: readonly Message[]): void {
    let link = this.links.get(peer);
    if (!link) {
      const address = this.peerAddresses.get(peer);
      if (address === undefined) {
        this.ctx.totals.unknownPeer += messages.length;
        this.ctx.logger.debug(`raft transport ${this.ctx.nodeId}: no address for ${peer}; dropped`);
        for (const m of messages) {
          if (m.type === 'snap' && (m.chunk === undefined || m.chunk.index === 0)) {
            callHandler(this.ctx, 'onSnapshotStatus', () => this.ctx.handlers.onSnapshotStatus(peer, false));
          }
        }
        return;
      }
      link = new PeerLink(this.ctx, peer, address, this.linkOptions);
      this.links.set(peer, link);
    }
    link.enqueue(messages);
  }

  private accept(socket: Socket): void {
    if (this.state !== 'started') {
      socket.destroy();
      return;
    }
    const conn: InboundConnection = new InboundConnection(this.ctx, socket, () => this.inbound.delete(conn));
    this.inbound.add(conn);
  }
}
