import type { NodeRecord } from './coordination.commands.js';
import { CommandRefusedError } from './coordination.errors.js';
import { MAX_NAME_BYTES, MAX_TEXT_BYTES, MAX_TIME_MS } from './coordination.limits.js';
import type { FieldValue } from './field-reader.js';
import { readSortedRows, sortedRows } from './snapshot-rows.js';

export interface NodeView extends NodeRecord {
  /** lastSeen is within the TTL the caller asked about. */
  alive: boolean;
}

/**
 * Cluster members as mocra processes (not Raft voters): each registers at start and heartbeats; a node is alive
 * while its last heartbeat on the replicated clock is within a TTL the reader chooses.
 */
export class NodeRegistry {
  private readonly nodes = new Map<string, NodeRecord>();

  get size(): number {
    return this.nodes.size;
  }

  register(nodeId: string, address: string, meta: Uint8Array | undefined, now: number): NodeRecord {
    const node: NodeRecord = { nodeId, address, registeredAt: now, lastSeen: now };
    if (meta !== undefined) node.meta = meta;
    this.nodes.set(nodeId, node);
    return { ...node };
  }

  heartbeat(nodeId: string, now: number): NodeRecord {
    const node = this.nodes.get(nodeId);
    if (node === undefined) throw new CommandRefusedError(`node ${JSON.stringify(nodeId)} is not registered`);
    node.lastSeen = now;
    return { ...node };
  }

  remove(nodeId: string): boolean {
    return this.nodes.delete(nodeId);
  }

  get(nodeId: string): NodeRecord | undefined {
    const node = this.nodes.get(nodeId);
    return node === undefined ? undefined : { ...node };
  }

  list(now: number, ttlMs: number): NodeView[] {
    return [...this.nodes.keys()].sort().map((id) => {
      const node = this.nodes.get(id)!;
      return { ...node, alive: node.lastSeen + ttlMs > now };
    });
  }

  snapshotRows(): unknown[] {
    return sortedRows(this.nodes, (id, n) => [id, n.address, n.registeredAt, n.lastSeen, n.meta ?? null]);
  }

  restoreRows(table: FieldValue): void {
    for (const { key, cells } of readSortedRows(table, 5, MAX_NAME_BYTES)) {
      const node: NodeRecord = {
        nodeId: key,
        address: cells[0]!.string(MAX_TEXT_BYTES),
        registeredAt: cells[1]!.int(0, MAX_TIME_MS),
        lastSeen: cells[2]!.int(0, MAX_TIME_MS),
      };
      if (!cells[3]!.isNil()) node.meta = cells[3]!.bytes(MAX_TEXT_BYTES);
      this.nodes.set(key, node);
    }
  }
}
