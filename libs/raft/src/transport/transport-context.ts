import type { NodeId, RaftLogger } from '../core/types.js';
import type { RaftTransportHandlers } from './raft-transport.js';
import { PROTOCOL_NAME, PROTOCOL_VERSION, type HandshakeFrame } from './wire-frame.codec.js';

/** Counters that are not tied to one peer. */
export interface TransportTotals {
  /** Frames that failed length, msgpack or shape checks (each closed its connection). */
  badFrames: number;
  /** Of badFrames: length prefixes above the limit, rejected before buffering the payload. */
  oversizedFrames: number;
  /** Handshakes with a wrong protocol, version or cluster id, in either direction. */
  rejectedHandshakes: number;
  /** Messages received whose `to` is not this node, or whose `from` is not the connection's node: dropped. */
  misaddressed: number;
  /** Messages for a peer with no known address: dropped. */
  unknownPeer: number;
}

/** What the parts of one TcpTransport share. */
export interface TransportContext {
  readonly nodeId: NodeId;
  readonly clusterId: string;
  readonly maxFrameBytes: number;
  readonly connectTimeoutMs: number;
  readonly flushOnSend: boolean;
  readonly logger: RaftLogger;
  readonly totals: TransportTotals;
  handlers: RaftTransportHandlers;
}

/** Why a handshake is refused, or undefined when it belongs to our protocol and cluster. */
export function handshakeMismatch(frame: HandshakeFrame, clusterId: string): string | undefined {
  if (frame.protocol !== PROTOCOL_NAME) return `protocol '${frame.protocol}' is not '${PROTOCOL_NAME}'`;
  if (frame.version !== PROTOCOL_VERSION) {
    return `protocol version ${frame.version} is not ${PROTOCOL_VERSION}`;
  }
  if (frame.clusterId !== clusterId) return `cluster id '${frame.clusterId}' is not '${clusterId}'`;
  return undefined;
}

/** Handlers are user code: an exception there is logged, never allowed to unwind into socket handling. */
export function callHandler(ctx: TransportContext, what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    ctx.logger.error(
      `raft transport ${ctx.nodeId}: ${what} handler threw: ${e instanceof Error ? e.stack : String(e)}`,
    );
  }
}
