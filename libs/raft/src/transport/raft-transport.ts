import type { Message, NodeId } from '../core/types.js';

export interface RaftTransportHandlers {
  /** A Raft message from a peer (already validated). Called synchronously in arrival order per connection. */
  onMessage(message: Message): void;
  /** A peer could not be reached or its send queue overflowed: the core is told so it probes instead of streaming. */
  onUnreachable(peer: NodeId): void;
  /** Outcome of sending a 'snap' message (all its bytes written to the socket, or failed). */
  onSnapshotStatus(peer: NodeId, ok: boolean): void;
  /** An application request (join, forwarded client calls); the answer goes back to the caller. */
  onRequest?(kind: string, body: Uint8Array, from: NodeId): Promise<Uint8Array>;
}

/** Moves Raft messages and small request/response calls between the nodes of one cluster. */
export interface RaftTransport {
  /** Starts listening; resolves with the address actually bound (host:port, port 0 picks a free one). */
  start(handlers: RaftTransportHandlers): Promise<string>;
  /** Queues messages for their `to` peers without blocking; never throws for a down peer. */
  send(messages: readonly Message[]): void;
  /** Adds or updates a peer's address (host:port). */
  setPeer(id: NodeId, address: string): void;
  removePeer(id: NodeId): void;
  /** Calls a node's onRequest by address (the peer id may not be known yet, e.g. when joining). */
  request(address: string, kind: string, body: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  close(): Promise<void>;
}
