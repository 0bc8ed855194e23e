import type { Model } from './model.js';
import type { Operation } from './operation.js';
import { describeOperation } from './operation-description.js';

export interface FormatHistoryOptions {
  /** Characters of the timeline column. */
  width?: number;
  /** Lists at most this many operations (the earliest calls). */
  maxOps?: number;
}

/**
 * Renders a history as text, one operation per line in call order, with a timeline bar: `[===]` from call to
 * return, `[==>` for an operation that never returns. The timeline is by event order, not by clock, so short
 * operations stay visible next to long ones.
 */
export function formatHistory<S, I, O>(
  model: Model<S, I, O>,
  history: Operation<I, O>[],
  opts: FormatHistoryOptions = {},
): string {
  const width = Math.max(2, opts.width ?? 40);
  const times = [
    ...new Set(
      history.flatMap((op) => (op.return === Number.POSITIVE_INFINITY ? [op.call] : [op.call, op.return])),
    ),
  ].sort((a, b) => a - b);
  const rank = new Map(times.map((t, i) => [t, i]));
  const column = (t: number): number =>
    times.length <= 1 ? 0 : Math.round(((rank.get(t) ?? 0) / (times.length - 1)) * (width - 1));
  const order = history
    .map((_, i) => i)
    .sort((a, b) => (history[a]?.call ?? 0) - (history[b]?.call ?? 0) || a - b);
  const shown = order.slice(0, opts.maxOps ?? order.length);
  const clientWidth = Math.max(6, ...history.map((op) => String(op.clientId).length));

  const lines = [`${'client'.padStart(clientWidth)} ${'timeline'.padEnd(width + 2)} operation`];
  for (const i of shown) {
    const op = history[i] as Operation<I, O>;
    const unknown = op.return === Number.POSITIVE_INFINITY;
    const start = column(op.call);
    const end = unknown ? width - 1 : column(op.return);
    const bar = Array.from({ length: width }, (_, c) => {
      if (c < start || c > end) return ' ';
      if (c === start) return start === end ? (unknown ? '>' : '|') : '[';
      if (c === end) return unknown ? '>' : ']';
      return '=';
    }).join('');
    const what = describeOperation(model, op);
    lines.push(`${String(op.clientId).padStart(clientWidth)} |${bar}| #${i} ${what}`);
  }
  if (shown.length < order.length) lines.push(`... ${order.length - shown.length} more operations`);
  return lines.join('\n');
}
