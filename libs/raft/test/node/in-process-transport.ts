import type { Message, NodeId } from '../../src/core/types.js';
import type { RaftTransport, RaftTransportHandlers } from '../../src/transport/raft-transport.js';

/** Delivers between RaftNodes of one test process, asynchronously (setImmediate), with links that can be cut. */
export class InProcessNetwork {
  readonly endpoints = new Map<string, InProcessTransport>();
  private nextPort = 1;
  /** Addresses that neither send nor receive (a crashed or partitioned node). */
  readonly isolated = new Set<string>();

  /** A node restarting at its old address passes it again. */
  transport(id: NodeId, address?: string): InProcessTransport {
    return new InProcessTransport(this, id, address ?? `mem:${this.nextPort++}`);
  }
}

export class InProcessTransport implements RaftTransport {
  handlers: RaftTransportHandlers | undefined;
  private readonly peers = new Map<NodeId, string>();
  sent = 0;

  constructor(
    private readonly network: InProcessNetwork,
    readonly id: NodeId,
    readonly address: string,
  ) {}

  start(handlers: RaftTransportHandlers): Promise<string> {
    this.handlers = handlers;
    this.network.endpoints.set(this.address, this);
    return Promise.resolve(this.address);
  }

  send(messages: readonly Message[]): void {
    for (const m of messages) {
      const address = this.peers.get(m.to);
      const target = address === undefined ? undefined : this.network.endpoints.get(address);
      if (!target || this.network.isolated.has(this.address) || this.network.isolated.has(target.address))
        continue;
      this.sent++;
      setImmediate(() => {
        if (this.network.endpoints.get(target.address) === target) target.handlers?.onMessage(m);
      });
    }
  }

  setPeer(id: NodeId, address: string): void {
    this.peers.set(id, address);
  }

  removePeer(id: NodeId): void {
    this.peers.delete(id);
  }

  async request(address: string, kind: string, body: Uint8Array): Promise<Uint8Array> {
    const target = this.network.endpoints.get(address);
    if (!target?.handlers?.onRequest) throw new Error(`no node at ${address}`);
    return target.handlers.onRequest(kind, body, this.id);
  }

  close(): Promise<void> {
    if (this.network.endpoints.get(this.address) === this) this.network.endpoints.delete(this.address);
    return Promise.resolve();
  }
}
