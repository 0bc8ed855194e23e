import type { Model } from './model.js';
import { describeOperation } from './operation-description.js';
import type { CheckOptions, CheckReport, Operation } from './operation.js';
import { PartitionSearch } from './partition-search.js';

/** How many operations at the end of the longest prefix an illegal report lists. */
const PREFIX_TAIL = 10;

function describeOp<S, I, O>(model: Model<S, I, O>, op: Operation<I, O>, index: number): string {
  const what = describeOperation(model, op);
  const ret = op.return === Number.POSITIVE_INFINITY ? 'never' : String(op.return);
  return `#${index} client ${op.clientId} [${op.call}, ${ret}] ${what}`;
}

function describePart<S, I, O>(
  model: Model<S, I, O>,
  ops: Operation<I, O>[],
  index: number,
  count: number,
): string {
  const label = model.describePartition ? ` (${model.describePartition(ops)})` : '';
  return `partition ${index + 1}/${count}${label}`;
}

/** Search steps each unfinished partition gets in the first round; the slice doubles every round. */
const FIRST_SLICE = 4096;

/**
 * Decides whether `history` is linearizable with respect to `model`. Each partition the model defines is checked
 * on its own. Partitions are searched in turns with a growing step budget (like Porcupine checking them in
 * parallel), and the check stops at the first illegal partition, so a partition that is expensive to refute does
 * not delay a cheap verdict. Turns are counted in search steps, not time, so the verdict and report are
 * deterministic. With `timeoutMs`, a search that runs out of time reports 'unknown'.
 */
export function checkOperations<S, I, O>(
  model: Model<S, I, O>,
  history: Operation<I, O>[],
  opts: CheckOptions = {},
): CheckReport {
  const deadline = opts.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + opts.timeoutMs;
  const partitions = model.partition ? model.partition(history) : [history];
  let pending = partitions.map((ops, index) => ({ ops, index, search: new PartitionSearch(model, ops) }));
  for (let slice = FIRST_SLICE; pending.length > 0; slice *= 2) {
    const stillRunning: typeof pending = [];
    for (const part of pending) {
      const status = part.search.run(slice, deadline);
      if (status === 'running') {
        stillRunning.push(part);
      } else if (status === 'timeout') {
        return {
          result: 'unknown',
          info: `timed out after ${opts.timeoutMs ?? 0} ms in ${describePart(model, part.ops, part.index, partitions.length)}`,
        };
      } else if (status === 'illegal') {
        const outcome = part.search.outcome();
        if (outcome.kind === 'illegal') {
          return {
            result: 'illegal',
            info: illegalReport(model, part.ops, part.index, partitions.length, outcome),
          };
        }
      }
    }
    pending = stillRunning;
  }
  return { result: 'ok' };
}

function illegalReport<S, I, O>(
  model: Model<S, I, O>,
  ops: Operation<I, O>[],
  index: number,
  count: number,
  outcome: { longest: number[]; blockedOp: number },
): string {
  const blocked = ops[outcome.blockedOp];
  const lines = [
    `${describePart(model, ops, index, count)} is not linearizable: ` +
      `longest linearizable prefix has ${outcome.longest.length} of ${ops.length} operations`,
  ];
  if (blocked !== undefined) {
    lines.push(
      `  no linearization can place ${describeOp(model, blocked, outcome.blockedOp)} before it returns`,
    );
  }
  const shown = outcome.longest.slice(-PREFIX_TAIL);
  const hidden = outcome.longest.length - shown.length;
  lines.push(
    `  end of that prefix, in linearization order${hidden > 0 ? ` (${hidden} earlier omitted)` : ''}:`,
  );
  for (const i of shown) lines.push(`    ${describeOp(model, ops[i] as Operation<I, O>, i)}`);
  return lines.join('\n');
}
