import type { Model } from './model.js';

/** Jepsen's etcd register test: one integer register, initially absent (null). */
export type RegisterInput =
  { op: 'read' } | { op: 'write'; value: number } | { op: 'cas'; expected: number; value: number };

/** read: `value` seen (null = absent); cas: `ok` whether it applied; write: nothing is checked. */
export interface RegisterOutput {
  ok?: boolean;
  value?: number | null;
}

export const registerModel: Model<number | null, RegisterInput, RegisterOutput> = {
  init: () => null,
  step(state, input, output) {
    switch (input.op) {
      case 'read':
        return [output === undefined || (output.value ?? null) === state, state];
      case 'write':
        return [true, input.value];
      case 'cas': {
        const applies = state === input.expected;
        // A failed cas (ok=false) is only legal when the register did not hold the expected value.
        const legal = output === undefined || output.ok === undefined || output.ok === applies;
        return [legal, applies ? input.value : state];
      }
    }
  },
  hash: (s) => (s === null ? 'nil' : String(s)),
  equal: (a, b) => a === b,
  describeOperation(input, output) {
    switch (input.op) {
      case 'read':
        return `read() -> ${output === undefined ? '?' : String(output.value ?? 'nil')}`;
      case 'write':
        return `write(${input.value})${output === undefined ? ' -> ?' : ''}`;
      case 'cas':
        return `cas(${input.expected}, ${input.value}) -> ${output?.ok === undefined ? '?' : String(output.ok)}`;
    }
  },
};
