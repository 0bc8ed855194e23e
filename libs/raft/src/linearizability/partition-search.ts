import { Bitset } from './bitset.js';
import type { Model } from './model.js';
import type { Operation } from './operation.js';

/** Outcome of searching one partition for a linearization. */
export type PartitionOutcome =
  | { kind: 'ok'; linearization: number[] }
  | {
      kind: 'illegal';
      /** Operation indices (into the partition) of the longest partial linearization found, in order. */
      longest: number[];
      /** The operation whose return was reached while it could not yet be linearized, at that longest point. */
      blockedOp: number;
    }
  | { kind: 'timeout' };

const CALL = 0;
const RETURN = 1;

interface ListEntry {
  kind: typeof CALL | typeof RETURN;
  op: number;
  prev: ListEntry | null;
  next: ListEntry | null;
  /** For a call: its return entry, or null when the outcome is unknown (it never returns). */
  match: ListEntry | null;
}

interface Frame<S> {
  entry: ListEntry;
  state: S;
}

/** How many search steps run between two looks at the clock. */
const CLOCK_INTERVAL = 1024;

/**
 * Rejects histories the search cannot interpret, naming the operation, so a bad recording fails loudly instead of
 * producing a wrong verdict.
 */
function validate<I, O>(ops: Operation<I, O>[]): void {
  ops.forEach((op, i) => {
    if (!Number.isFinite(op.call)) {
      throw new Error(
        `linearizability: operation ${i} (client ${op.clientId}) has a non-finite call time ${op.call}`,
      );
    }
    if (Number.isNaN(op.return) || op.return < op.call) {
      throw new Error(
        `linearizability: operation ${i} (client ${op.clientId}) returns at ${op.return}, before its call at ${op.call}`,
      );
    }
    if (op.return === Number.POSITIVE_INFINITY && op.output !== undefined) {
      throw new Error(
        `linearizability: operation ${i} (client ${op.clientId}) never returns but has an output; ` +
          'an unknown outcome must have output undefined',
      );
    }
  });
}

/**
 * Builds the doubly linked event list. At equal times calls sort before returns, so two operations that merely
 * touch (one returns when the other is called) count as concurrent: the checker never blames a history on a tie
 * the clock could not resolve. Remaining ties break by operation index, which keeps the search deterministic.
 */
function buildList<I, O>(ops: Operation<I, O>[]): ListEntry {
  const events: ListEntry[] = [];
  const times: number[] = [];
  ops.forEach((op, i) => {
    const call: ListEntry = { kind: CALL, op: i, prev: null, next: null, match: null };
    events.push(call);
    times.push(op.call);
    if (op.return !== Number.POSITIVE_INFINITY) {
      const ret: ListEntry = { kind: RETURN, op: i, prev: null, next: null, match: null };
      call.match = ret;
      events.push(ret);
      times.push(op.return);
    }
  });
  const order = events.map((_, i) => i);
  order.sort((a, b) => {
    const ea = events[a] as ListEntry;
    const eb = events[b] as ListEntry;
    return (times[a] as number) - (times[b] as number) || ea.kind - eb.kind || ea.op - eb.op;
  });
  const head: ListEntry = { kind: CALL, op: -1, prev: null, next: null, match: null };
  let last = head;
  for (const idx of order) {
    const e = events[idx] as ListEntry;
    last.next = e;
    e.prev = last;
    last = e;
  }
  return head;
}

function unlink(e: ListEntry): void {
  (e.prev as ListEntry).next = e.next;
  if (e.next) e.next.prev = e.prev;
}

function relink(e: ListEntry): void {
  (e.prev as ListEntry).next = e;
  if (e.next) e.next.prev = e;
}

/** Remembers visited (linearized set, state) configurations. */
interface VisitedSet<S> {
  /** Records the configuration; false when it was already seen. */
  add(bits: string, state: S): boolean;
  sameState(a: S, b: S): boolean;
}

function defaultHash(s: unknown): string {
  return JSON.stringify(s) ?? 'undefined';
}

function makeVisitedSet<S, I, O>(model: Model<S, I, O>): VisitedSet<S> {
  const { hash, equal } = model;
  if (hash === undefined && equal !== undefined) {
    const buckets = new Map<string, S[]>();
    return {
      add(bits, state) {
        const bucket = buckets.get(bits);
        if (bucket === undefined) {
          buckets.set(bits, [state]);
          return true;
        }
        if (bucket.some((s) => equal(s, state))) return false;
        bucket.push(state);
        return true;
      },
      sameState: (a, b) => equal(a, b),
    };
  }
  // Models without hash or equal are assumed to have JSON-representable states.
  const h: (s: S) => string = hash ? (s) => hash(s) : defaultHash;
  // States are interned to small ids so that the visited keys stay short even when states are long strings.
  const ids = new Map<string, number>();
  const seen = new Set<string>();
  return {
    add(bits, state) {
      const sh = h(state);
      let id = ids.get(sh);
      if (id === undefined) {
        id = ids.size;
        ids.set(sh, id);
      }
      const key = bits + id.toString(36);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    },
    sameState: equal ? (a, b) => equal(a, b) : (a, b) => h(a) === h(b),
  };
}

/** Where a search stands after a slice of work. */
export type SearchStatus = 'ok' | 'illegal' | 'running' | 'timeout';

/**
 * Lowe's just-in-time linearizability search (Wing & Gong with memoisation, as in Porcupine): repeatedly linearize
 * some operation that has been called but not yet linearized, and backtrack when an operation's return is reached
 * before it could be linearized. Configurations (set of linearized operations, model state) already explored are
 * never explored again. Operations with unknown outcome have no return event, so they are never forced; the search
 * succeeds once every operation that returned is linearized.
 *
 * The search is resumable (`run` does a bounded number of steps) so that several partitions can be searched in
 * turns: one hard-to-refute partition then cannot hide an easily refuted one.
 */
export class PartitionSearch<S, I, O> {
  private readonly head: ListEntry;
  private readonly visited: VisitedSet<S>;
  private readonly linearized: Bitset;
  private readonly stack: Frame<S>[] = [];
  private state: S;
  private remaining: number;
  private entry: ListEntry | null;
  private longest: number[] = [];
  private blockedOp = -1;
  private status: SearchStatus = 'running';
  /** Search steps done so far (a deterministic measure of effort). */
  steps = 0;

  constructor(
    private readonly model: Model<S, I, O>,
    private readonly ops: Operation<I, O>[],
  ) {
    validate(ops);
    this.head = buildList(ops);
    this.visited = makeVisitedSet(model);
    this.linearized = new Bitset(ops.length);
    this.state = model.init();
    this.remaining = ops.filter((op) => op.return !== Number.POSITIVE_INFINITY).length;
    this.entry = this.head.next;
    if (this.remaining === 0) this.status = 'ok';
  }

  /** Advances the search by at most `maxSteps` steps, giving up with 'timeout' once `deadline` (epoch ms) passes. */
  run(maxSteps: number, deadline = Number.POSITIVE_INFINITY): SearchStatus {
    if (this.status !== 'running') return this.status;
    const { model, ops, head, visited, linearized, stack } = this;
    let { state, entry, remaining } = this;
    const stop = this.steps + maxSteps;
    let steps = this.steps;
    let status: SearchStatus = 'running';
    while (remaining > 0) {
      if (steps >= stop) break;
      if (++steps % CLOCK_INTERVAL === 0 && Date.now() > deadline) {
        status = 'timeout';
        break;
      }
      if (entry !== null && entry.kind === CALL) {
        const op = ops[entry.op] as Operation<I, O>;
        const [legal, next] = model.step(state, op.input, op.output);
        const unknown = entry.match === null;
        // Linearizing an unknown-outcome operation that changes nothing only adds configurations: leaving it
        // unlinearized is always at least as good, since it is never forced.
        if (legal && !(unknown && visited.sameState(state, next))) {
          linearized.set(entry.op);
          if (visited.add(linearized.key(), next)) {
            stack.push({ entry, state });
            state = next;
            unlink(entry);
            if (entry.match) {
              unlink(entry.match);
              remaining--;
            }
            entry = head.next;
            continue;
          }
          linearized.clear(entry.op);
        }
        entry = entry.next;
        continue;
      }
      // A return (or the end of the list) reached with a returned operation still unlinearized: backtrack.
      if (entry !== null && (stack.length > this.longest.length || this.blockedOp < 0)) {
        this.longest = stack.map((f) => f.entry.op);
        this.blockedOp = entry.op;
      }
      const top = stack.pop();
      if (top === undefined) {
        status = 'illegal';
        break;
      }
      const call = top.entry;
      if (call.match) {
        relink(call.match);
        remaining++;
      }
      relink(call);
      linearized.clear(call.op);
      state = top.state;
      entry = call.next;
    }
    if (status === 'running' && remaining === 0) status = 'ok';
    this.state = state;
    this.entry = entry;
    this.remaining = remaining;
    this.steps = steps;
    this.status = status;
    return status;
  }

  /** The result once the search has finished; 'running' or 'timeout' while it has not. */
  outcome(): PartitionOutcome | { kind: 'running' } {
    switch (this.status) {
      case 'ok':
        return { kind: 'ok', linearization: this.stack.map((f) => f.entry.op) };
      case 'illegal':
        return { kind: 'illegal', longest: this.longest, blockedOp: this.blockedOp };
      case 'timeout':
        return { kind: 'timeout' };
      case 'running':
        return { kind: 'running' };
    }
  }
}

/** Searches one partition to the end (or until `deadline`, epoch ms). */
export function checkPartition<S, I, O>(
  model: Model<S, I, O>,
  ops: Operation<I, O>[],
  deadline = Number.POSITIVE_INFINITY,
): PartitionOutcome {
  const search = new PartitionSearch(model, ops);
  while (search.run(1 << 20, deadline) === 'running');
  const outcome = search.outcome();
  return outcome.kind === 'running' ? { kind: 'timeout' } : outcome;
}
