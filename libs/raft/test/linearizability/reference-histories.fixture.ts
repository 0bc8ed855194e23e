import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Model, Operation } from '../../src/linearizability/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The reference histories sit beside the repository (also in CI). */
export const HISTORIES_DIR = path.resolve(repoRoot, '../shared/reference/linearizability-histories');

export type ExpectedVerdicts = Record<'jepsen-etcd' | 'kv', Record<string, boolean>>;

export function loadExpected(): ExpectedVerdicts {
  const file = path.join(HISTORIES_DIR, 'expected.json');
  if (!existsSync(file)) {
    throw new Error(`linearizability reference histories are missing: ${file} does not exist`);
  }
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<ExpectedVerdicts>;
  if (!parsed['jepsen-etcd'] || !parsed.kv) {
    throw new Error(`${file} must have "jepsen-etcd" and "kv" sections`);
  }
  return { 'jepsen-etcd': parsed['jepsen-etcd'], kv: parsed.kv };
}

export function readHistory(group: string, file: string): string {
  return readFileSync(path.join(HISTORIES_DIR, group, file), 'utf8');
}

/**
 * Verifies a witness independently of the search: `order` must respect real time (an operation that returned
 * before another was called comes first) and every step must be legal in the model. Returns the first problem.
 */
export function witnessProblem<S, I, O>(
  model: Model<S, I, O>,
  ops: Operation<I, O>[],
  order: number[],
): string | undefined {
  if (new Set(order).size !== order.length) return 'an operation appears twice';
  let state = model.init();
  for (const [pos, i] of order.entries()) {
    const op = ops[i];
    if (op === undefined) return `index ${i} is not an operation`;
    for (const j of order.slice(pos + 1)) {
      const later = ops[j] as Operation<I, O>;
      if (later.return < op.call) return `#${j} returned before #${i} was called but is ordered after it`;
    }
    const [legal, next] = model.step(state, op.input, op.output);
    if (!legal) return `#${i} is illegal at position ${pos}`;
    state = next;
  }
  // A prefix must also be closed under real-time order: nothing outside it may have returned before a member's call.
  const inOrder = new Set(order);
  for (const i of order) {
    const op = ops[i] as Operation<I, O>;
    const missing = ops.findIndex((o, j) => !inOrder.has(j) && o.return < op.call);
    if (missing >= 0) return `#${missing} returned before #${i} was called but is missing`;
  }
  return undefined;
}

/** A history operation; `ret` Infinity with output undefined is an unknown outcome. */
export function op<I, O>(clientId: number, call: number, ret: number, input: I, output?: O): Operation<I, O> {
  return { clientId, call, return: ret, input, output };
}
