import { describe, expect, it } from 'vitest';
import {
  checkOperations,
  kvModel,
  parseKvEdn,
  registerModel,
  type KvInput,
  type KvOutput,
  type Model,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
} from '../../src/linearizability/index.js';
import { op, readHistory } from './reference-histories.fixture.js';

const INF = Number.POSITIVE_INFINITY;
type RegOp = Operation<RegisterInput, RegisterOutput>;
const read = (c: number, call: number, ret: number, value: number | null): RegOp =>
  op(c, call, ret, { op: 'read' }, { value });
const write = (c: number, call: number, ret: number, value: number): RegOp =>
  op(c, call, ret, { op: 'write', value }, ret === INF ? undefined : { ok: true });

/** Many overlapping writes followed by a read of a value nobody wrote: refuting it explores every subset. */
function hardToRefute(writers: number, key: string): Operation<KvInput, KvOutput>[] {
  const ops = Array.from({ length: writers }, (_, i) =>
    op<KvInput, KvOutput>(i, 0, 100, { op: 'put', key, value: `v${i}` }, {}),
  );
  ops.push(op(writers, 101, 102, { op: 'get', key }, { value: 'never written' }));
  return ops;
}

/** A counter whose state is an object, to exercise the default (JSON) and equal-only memoisation. */
type CounterInput = { op: 'inc' } | { op: 'read' };
const counterModel: Model<{ n: number }, CounterInput, number> = {
  init: () => ({ n: 0 }),
  step: (s, input, output) =>
    input.op === 'inc' ? [true, { n: s.n + 1 }] : [output === undefined || output === s.n, s],
};

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('checkOperations', () => {
  it('accepts the empty history', () => {
    expect(checkOperations(registerModel, [])).toEqual({ result: 'ok' });
  });

  it('treats operations that touch at the same instant as concurrent (calls sort before returns)', () => {
    expect(checkOperations(registerModel, [write(0, 0, 5, 1), read(1, 5, 6, null)]).result).toBe('ok');
    expect(checkOperations(registerModel, [write(0, 0, 5, 1), read(1, 6, 7, null)]).result).toBe('illegal');
  });

  it('accepts a history whose only unlinearizable-looking operations never returned', () => {
    const h = [
      write(0, 0, INF, 1),
      write(1, 1, INF, 2),
      read(2, 2, 3, 2),
      read(2, 4, 5, 1),
      read(2, 6, 7, 1),
    ];
    expect(checkOperations(registerModel, h).result).toBe('ok');
  });

  it('reports the blocked operation and the end of the longest linearizable prefix', () => {
    const h = [write(0, 0, 1, 1), read(1, 2, 3, 1), write(0, 4, 5, 2), read(1, 6, 7, 1)];
    const report = checkOperations(registerModel, h);
    expect(report.result).toBe('illegal');
    expect(report.info).toContain(
      'partition 1/1 is not linearizable: longest linearizable prefix has 3 of 4',
    );
    expect(report.info).toContain(
      'no linearization can place #3 client 1 [6, 7] read() -> 1 before it returns',
    );
    expect(report.info).toContain('#2 client 0 [4, 5] write(2)');
  });

  it('gives up with unknown when the time budget runs out', () => {
    const report = checkOperations(kvModel, hardToRefute(20, 'k'), { timeoutMs: 1 });
    expect(report.result).toBe('unknown');
    expect(report.info).toContain('timed out after 1 ms in partition 1/1 (key "k")');
  });

  it('finds an easily refuted partition even behind one that is very expensive to refute', () => {
    const easy = [
      op<KvInput, KvOutput>(50, 0, 1, { op: 'put', key: 'easy', value: 'a' }, {}),
      op<KvInput, KvOutput>(50, 2, 3, { op: 'get', key: 'easy' }, { value: 'b' }),
    ];
    const report = checkOperations(kvModel, [...hardToRefute(22, 'hard'), ...easy], { timeoutMs: 20_000 });
    expect(report.result).toBe('illegal');
    expect(report.info).toMatch(/^partition 2\/2 \(key "easy"\)/);
  });

  it('memoises models without hash: by JSON by default, or by equal when given', () => {
    const inc = (c: number, call: number, ret: number) =>
      op<CounterInput, number>(c, call, ret, { op: 'inc' }, 0);
    const get = (c: number, call: number, ret: number, n: number) =>
      op<CounterInput, number>(c, call, ret, { op: 'read' }, n);
    const legal = [
      inc(0, 0, 10),
      inc(1, 0, 10),
      inc(2, 0, 10),
      get(3, 1, 2, 1),
      get(3, 3, 4, 3),
      get(3, 11, 12, 3),
    ];
    const illegal = [inc(0, 0, 10), inc(1, 0, 10), get(3, 1, 2, 2), get(3, 3, 4, 1)];
    const withEqual: typeof counterModel = { ...counterModel, equal: (a, b) => a.n === b.n };
    for (const model of [counterModel, withEqual]) {
      expect(checkOperations(model, legal).result).toBe('ok');
      expect(checkOperations(model, illegal).result).toBe('illegal');
    }
  });

  it('rejects malformed operations, naming them', () => {
    expect(() => checkOperations(registerModel, [write(0, 0, 1, 1), write(7, 5, 4, 2)])).toThrow(
      'operation 1 (client 7) returns at 4, before its call at 5',
    );
    const pendingWithOutput: RegOp = {
      clientId: 3,
      call: 0,
      return: INF,
      input: { op: 'read' },
      output: { value: 1 },
    };
    expect(() => checkOperations(registerModel, [pendingWithOutput])).toThrow(
      'operation 0 (client 3) never returns',
    );
    expect(() => checkOperations(registerModel, [write(2, Number.NaN, 1, 1)])).toThrow(
      'non-finite call time',
    );
  });

  it('is deterministic: the same history gives the same report, and input order does not change the verdict', () => {
    const history = parseKvEdn(readHistory('kv', 'c10-bad.txt'));
    const first = checkOperations(kvModel, history);
    expect(first.result).toBe('illegal');
    expect(checkOperations(kvModel, history)).toEqual(first);
    const okHistory = parseKvEdn(readHistory('kv', 'c10-ok.txt'));
    const random = mulberry32(42);
    for (let round = 0; round < 3; round++) {
      const shuffle = <T>(xs: T[]): T[] => {
        const out = [...xs];
        for (let i = out.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [out[i], out[j]] = [out[j] as T, out[i] as T];
        }
        return out;
      };
      expect(checkOperations(kvModel, shuffle(history)).result).toBe('illegal');
      expect(checkOperations(kvModel, shuffle(okHistory)).result).toBe('ok');
    }
  });
});
