/**
 * The user's deterministic state machine behind the session layer. `apply` must depend only on the current state
 * and the command: every replica applies the same commands in the same order and must reach the same state.
 */
export interface ReplicatedStateMachine {
  /** Applies one command and returns its result bytes (stored in the session table for duplicates). */
  apply(command: Uint8Array, index: number): Uint8Array;
  snapshot(): Uint8Array;
  restore(snapshot: Uint8Array): void;
}
