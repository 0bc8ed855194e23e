import type { Operation } from './operation.js';

/**
 * A sequential specification. `step` says whether `input` producing `output` is legal in `state` and returns the
 * next state. `output` is undefined for an operation whose outcome is unknown: a model should then accept it and
 * apply the input's effect (the checker separately allows such an operation to never take effect).
 */
export interface Model<S, I, O> {
  init(): S;
  step(state: S, input: I, output: O | undefined): [boolean, S];
  /** Splits a history into independent parts (e.g. per key) that are checked separately. */
  partition?(history: Operation<I, O>[]): Operation<I, O>[][];
  /** Names one partition in reports, e.g. `key "k1"`. */
  describePartition?(partition: Operation<I, O>[]): string;
  equal?(a: S, b: S): boolean;
  /** A string identifying a state: states with the same hash must be equal (used as a memoisation key). */
  hash?(s: S): string;
  describeOperation?(input: I, output: O | undefined): string;
}
