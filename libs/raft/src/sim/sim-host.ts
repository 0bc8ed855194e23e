import type { ConfState, Message, NodeId } from '../core/types.js';
import type { SessionApplyResult } from '../session/session-state-machine.js';
import type { InvariantChecker } from './invariant-checker.js';
import type { SimNode } from './sim-node.js';

/** A linearizable read waiting at a node: first for its ReadState, then for the node to apply up to its index. */
export interface PendingRead {
  client: number;
  opId: number;
  key: string;
  index?: number;
}

/** What a simulated node needs from the simulation around it. */
export interface SimHost {
  readonly now: number;
  readonly checker: InvariantChecker;
  readonly unsafeSendBeforePersist: boolean;
  readonly unsafeLocalReads: boolean;
  readonly leaderSendsFirst: boolean;
  readonly tracing: boolean;
  trace(line: string): void;
  send(from: SimNode, messages: Message[]): void;
  onConfApplied(node: SimNode, index: number, conf: ConfState): void;
  onSessionResult(node: SimNode, result: SessionApplyResult): void;
  onReadServed(node: SimNode, read: PendingRead, value: string): void;
  onRoleChange(node: SimNode, previous: string, leader: NodeId | ''): void;
}
