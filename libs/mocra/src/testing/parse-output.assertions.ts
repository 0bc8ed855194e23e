import { AssertionError } from 'node:assert';
import type { ParseOutput } from '../parser/parse-output.js';

function summary(output: ParseOutput): string {
  const counts = new Map<string, number>();
  for (const n of output.next) counts.set(n.target, (counts.get(n.target) ?? 0) + 1);
  const parts = [...counts].map(([target, n]) => `${target} ×${n}`);
  return parts.length === 0 ? 'nothing' : parts.join(', ');
}

/**
 * The inputs `output` dispatched to the node `target`, in order. Without `count` at least one is required;
 * with `count` exactly that many (0 asserts there was none). Throws AssertionError otherwise.
 */
export function expectNext<I = unknown>(output: ParseOutput<unknown>, target: string, count?: number): I[] {
  const inputs = output.next.filter((n) => n.target === target).map((n) => n.input as I);
  const ok = count === undefined ? inputs.length > 0 : inputs.length === count;
  if (!ok) {
    const wanted = count === undefined ? 'at least one dispatch' : `${count} dispatch(es)`;
    throw new AssertionError({
      message: `expected ${wanted} to "${target}", got ${inputs.length}; dispatched: ${summary(output)}`,
      actual: inputs.length,
      expected: count ?? '>= 1',
      operator: 'expectNext',
    });
  }
  return inputs;
}

/**
 * The data items of `output`. Without `count` at least one is required; with `count` exactly that many.
 * Throws AssertionError otherwise.
 */
export function expectData<T = unknown>(output: ParseOutput<unknown>, count?: number): T[] {
  const items = output.data as T[];
  const ok = count === undefined ? items.length > 0 : items.length === count;
  if (!ok) {
    const wanted = count === undefined ? 'at least one data item' : `${count} data item(s)`;
    throw new AssertionError({
      message: `expected ${wanted}, got ${items.length} (next dispatches: ${summary(output)})`,
      actual: items.length,
      expected: count ?? '>= 1',
      operator: 'expectData',
    });
  }
  return items;
}
