import type { Model } from './model.js';
import type { Operation } from './operation.js';

export type KvInput =
  | { op: 'get' | 'put' | 'append'; key: string; value?: string }
  | { op: 'cas'; key: string; expected: string; value: string };

/** get: `value` read; cas: `ok` whether it applied; put/append: nothing is checked. */
export type KvOutput = { value?: string; ok?: boolean };

/**
 * A key-value store of strings where every key starts as "". The state is the value of ONE key: the model is only
 * meaningful per partition, and `partition` splits a history by key (keys are independent, which also makes the
 * check much faster).
 */
export const kvModel: Model<string, KvInput, KvOutput> = {
  init: () => '',
  step(state, input, output) {
    switch (input.op) {
      case 'get':
        return [output === undefined || (output.value ?? '') === state, state];
      case 'put':
        return [true, input.value ?? ''];
      case 'append':
        return [true, state + (input.value ?? '')];
      case 'cas': {
        const applies = state === input.expected;
        const legal = output === undefined || output.ok === undefined || output.ok === applies;
        return [legal, applies ? input.value : state];
      }
    }
  },
  partition(history) {
    const byKey = new Map<string, Operation<KvInput, KvOutput>[]>();
    for (const op of history) {
      const part = byKey.get(op.input.key);
      if (part) part.push(op);
      else byKey.set(op.input.key, [op]);
    }
    return [...byKey.values()];
  },
  describePartition: (ops) => `key ${JSON.stringify(ops[0]?.input.key ?? '')}`,
  hash: (s) => s,
  equal: (a, b) => a === b,
  describeOperation(input, output) {
    const k = JSON.stringify(input.key);
    switch (input.op) {
      case 'get':
        return `get(${k}) -> ${output === undefined ? '?' : JSON.stringify(output.value ?? '')}`;
      case 'put':
      case 'append':
        return `${input.op}(${k}, ${JSON.stringify(input.value ?? '')})${output === undefined ? ' -> ?' : ''}`;
      case 'cas': {
        const result = output?.ok === undefined ? '?' : String(output.ok);
        return `cas(${k}, ${JSON.stringify(input.expected)} => ${JSON.stringify(input.value)}) -> ${result}`;
      }
    }
  },
};
