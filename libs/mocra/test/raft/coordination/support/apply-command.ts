import {
  decodeCoordinationResult,
  encodeCoordinationCommand,
  type CoordinationCommand,
  type CoordinationStateMachine,
} from '../../../../src/raft/coordination/index.js';
import type { CoordinationResults } from '../../../../src/raft/coordination/coordination.commands.js';

/** Encodes, applies on `machine` and decodes the result (throws CoordinationCommandError on a refusal). */
export function applyCommand<C extends CoordinationCommand>(
  machine: CoordinationStateMachine,
  command: C,
  index = 1,
): CoordinationResults[C['op']] {
  const op: C['op'] = command.op;
  return decodeCoordinationResult<C['op']>(op, machine.apply(encodeCoordinationCommand(command), index));
}

/** A small deterministic PRNG (mulberry32), so a failing sequence can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
