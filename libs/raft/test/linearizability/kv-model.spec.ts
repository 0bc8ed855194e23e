import { describe, expect, it } from 'vitest';
import { checkOperations, kvModel, type KvInput, type KvOutput } from '../../src/linearizability/index.js';
import { op } from './reference-histories.fixture.js';

const INF = Number.POSITIVE_INFINITY;
const get = (c: number, call: number, ret: number, key: string, value: string | undefined) =>
  op<KvInput, KvOutput>(c, call, ret, { op: 'get', key }, value === undefined ? undefined : { value });
const put = (c: number, call: number, ret: number, key: string, value: string) =>
  op<KvInput, KvOutput>(c, call, ret, { op: 'put', key, value }, ret === INF ? undefined : {});
const append = (c: number, call: number, ret: number, key: string, value: string) =>
  op<KvInput, KvOutput>(c, call, ret, { op: 'append', key, value }, ret === INF ? undefined : {});
const cas = (
  c: number,
  call: number,
  ret: number,
  key: string,
  expected: string,
  value: string,
  ok?: boolean,
) =>
  op<KvInput, KvOutput>(
    c,
    call,
    ret,
    { op: 'cas', key, expected, value },
    ok === undefined ? undefined : { ok },
  );

describe('kvModel.step', () => {
  it('starts with "" and applies put, append and cas', () => {
    const s0 = kvModel.init();
    expect(kvModel.step(s0, { op: 'get', key: 'k' }, { value: '' })).toEqual([true, '']);
    expect(kvModel.step(s0, { op: 'get', key: 'k' }, { value: 'x' })[0]).toBe(false);
    expect(kvModel.step('a', { op: 'put', key: 'k', value: 'b' }, {})).toEqual([true, 'b']);
    expect(kvModel.step('a', { op: 'append', key: 'k', value: 'b' }, {})).toEqual([true, 'ab']);
    expect(kvModel.step('a', { op: 'cas', key: 'k', expected: 'a', value: 'c' }, { ok: true })).toEqual([
      true,
      'c',
    ]);
    expect(kvModel.step('a', { op: 'cas', key: 'k', expected: 'z', value: 'c' }, { ok: true })[0]).toBe(
      false,
    );
    expect(kvModel.step('a', { op: 'cas', key: 'k', expected: 'z', value: 'c' }, { ok: false })).toEqual([
      true,
      'a',
    ]);
    expect(kvModel.step('a', { op: 'cas', key: 'k', expected: 'a', value: 'c' }, { ok: false })[0]).toBe(
      false,
    );
  });

  it('partitions by key in order of first appearance', () => {
    const h = [put(0, 0, 1, 'b', 'x'), get(1, 0, 1, 'a', ''), append(0, 2, 3, 'b', 'y')];
    const parts = kvModel.partition?.(h) ?? [];
    expect(parts.map((p) => p.map((o) => o.input.key))).toEqual([['b', 'b'], ['a']]);
    expect(parts.map((p) => kvModel.describePartition?.(p))).toEqual(['key "b"', 'key "a"']);
  });
});

describe('kv histories', () => {
  it('accepts concurrent appends seen in one consistent order', () => {
    const h = [
      append(0, 0, 10, 'k', 'a'),
      append(1, 0, 10, 'k', 'b'),
      get(2, 5, 15, 'k', 'b'),
      get(3, 11, 12, 'k', 'ba'),
      get(4, 13, 14, 'k', 'ba'),
    ];
    expect(checkOperations(kvModel, h).result).toBe('ok');
  });

  it('rejects reads that disagree on the order of concurrent appends', () => {
    const h = [
      append(0, 0, 10, 'k', 'a'),
      append(1, 0, 10, 'k', 'b'),
      get(2, 11, 12, 'k', 'ab'),
      get(3, 13, 14, 'k', 'ba'),
    ];
    expect(checkOperations(kvModel, h).result).toBe('illegal');
  });

  it('checks keys independently and names the illegal key', () => {
    const h = [
      put(0, 0, 1, 'good', 'v'),
      get(0, 2, 3, 'good', 'v'),
      put(1, 0, 1, 'bad', 'v'),
      get(1, 2, 3, 'bad', 'w'),
    ];
    const report = checkOperations(kvModel, h);
    expect(report.result).toBe('illegal');
    expect(report.info).toMatch(/^partition 2\/2 \(key "bad"\) is not linearizable/);
    expect(report.info).toContain('get("bad") -> "w"');
  });

  it('does not mix keys: a value written to one key is not visible under another', () => {
    const h = [put(0, 0, 1, 'a', 'v'), get(1, 2, 3, 'b', 'v')];
    expect(checkOperations(kvModel, h).result).toBe('illegal');
    expect(checkOperations(kvModel, [put(0, 0, 1, 'a', 'v'), get(1, 2, 3, 'b', '')]).result).toBe('ok');
  });

  it('treats an unknown put as possibly applied at any later point, or never', () => {
    const later = [put(0, 0, INF, 'k', 'x'), get(1, 1, 2, 'k', ''), get(1, 3, 4, 'k', 'x')];
    expect(checkOperations(kvModel, later).result).toBe('ok');
    const never = [
      put(0, 0, INF, 'k', 'x'),
      get(1, 1, 2, 'k', ''),
      put(1, 3, 4, 'k', 'y'),
      get(1, 5, 6, 'k', 'y'),
    ];
    expect(checkOperations(kvModel, never).result).toBe('ok');
    const flickers = [
      put(0, 0, INF, 'k', 'x'),
      get(1, 1, 2, 'k', 'x'),
      get(1, 3, 4, 'k', ''),
      get(1, 5, 6, 'k', 'x'),
    ];
    expect(checkOperations(kvModel, flickers).result).toBe('illegal');
  });

  it('a cas with unknown outcome may or may not have applied', () => {
    const applied = [put(0, 0, 1, 'k', 'a'), cas(1, 2, INF, 'k', 'a', 'b'), get(0, 3, 4, 'k', 'b')];
    expect(checkOperations(kvModel, applied).result).toBe('ok');
    const notApplied = [put(0, 0, 1, 'k', 'a'), cas(1, 2, INF, 'k', 'a', 'b'), get(0, 3, 4, 'k', 'a')];
    expect(checkOperations(kvModel, notApplied).result).toBe('ok');
    const wrongValue = [put(0, 0, 1, 'k', 'a'), cas(1, 2, INF, 'k', 'a', 'b'), get(0, 3, 4, 'k', 'c')];
    expect(checkOperations(kvModel, wrongValue).result).toBe('illegal');
  });
});
