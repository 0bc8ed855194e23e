import { describe, expect, it } from 'vitest';
import {
  checkOperations,
  registerModel,
  type RegisterInput,
  type RegisterOutput,
} from '../../src/linearizability/index.js';
import { op } from './reference-histories.fixture.js';

const INF = Number.POSITIVE_INFINITY;
const read = (c: number, call: number, ret: number, value: number | null | undefined) =>
  op<RegisterInput, RegisterOutput>(
    c,
    call,
    ret,
    { op: 'read' },
    value === undefined ? undefined : { value },
  );
const write = (c: number, call: number, ret: number, value: number) =>
  op<RegisterInput, RegisterOutput>(
    c,
    call,
    ret,
    { op: 'write', value },
    ret === INF ? undefined : { ok: true },
  );
const cas = (
  c: number,
  call: number,
  ret: number,
  expected: number,
  value: number,
  ok: boolean | undefined,
) =>
  op<RegisterInput, RegisterOutput>(
    c,
    call,
    ret,
    { op: 'cas', expected, value },
    ok === undefined ? undefined : { ok },
  );

describe('registerModel.step', () => {
  it('starts absent, so only a read of nil is legal first', () => {
    const s = registerModel.init();
    expect(registerModel.step(s, { op: 'read' }, { value: null })[0]).toBe(true);
    expect(registerModel.step(s, { op: 'read' }, { value: 0 })[0]).toBe(false);
  });

  it('a write replaces the value and a read must see it', () => {
    const [, s] = registerModel.step(null, { op: 'write', value: 4 }, { ok: true });
    expect(s).toBe(4);
    expect(registerModel.step(s, { op: 'read' }, { value: 4 })).toEqual([true, 4]);
    expect(registerModel.step(s, { op: 'read' }, { value: 3 })[0]).toBe(false);
  });

  it('a successful cas needs the expected value and installs the new one', () => {
    expect(registerModel.step(2, { op: 'cas', expected: 2, value: 7 }, { ok: true })).toEqual([true, 7]);
    expect(registerModel.step(3, { op: 'cas', expected: 2, value: 7 }, { ok: true })[0]).toBe(false);
    expect(registerModel.step(null, { op: 'cas', expected: 2, value: 7 }, { ok: true })[0]).toBe(false);
  });

  it('a failed cas is legal only when the register differs from the expected value, and changes nothing', () => {
    expect(registerModel.step(3, { op: 'cas', expected: 2, value: 7 }, { ok: false })).toEqual([true, 3]);
    expect(registerModel.step(null, { op: 'cas', expected: 2, value: 7 }, { ok: false })).toEqual([
      true,
      null,
    ]);
    expect(registerModel.step(2, { op: 'cas', expected: 2, value: 7 }, { ok: false })[0]).toBe(false);
  });

  it('an unknown outcome is always legal and takes effect', () => {
    expect(registerModel.step(5, { op: 'read' }, undefined)).toEqual([true, 5]);
    expect(registerModel.step(5, { op: 'cas', expected: 5, value: 1 }, undefined)).toEqual([true, 1]);
    expect(registerModel.step(5, { op: 'cas', expected: 4, value: 1 }, undefined)).toEqual([true, 5]);
    expect(registerModel.step(5, { op: 'write', value: 9 }, undefined)).toEqual([true, 9]);
  });

  it('describes operations for reports', () => {
    expect(registerModel.describeOperation?.({ op: 'read' }, { value: null })).toBe('read() -> nil');
    expect(registerModel.describeOperation?.({ op: 'cas', expected: 1, value: 2 }, { ok: false })).toBe(
      'cas(1, 2) -> false',
    );
    expect(registerModel.describeOperation?.({ op: 'write', value: 3 }, undefined)).toBe('write(3) -> ?');
  });
});

describe('register histories', () => {
  it('accepts a sequential history that reads its own writes', () => {
    const h = [
      read(0, 0, 1, null),
      write(0, 2, 3, 1),
      read(1, 4, 5, 1),
      cas(1, 6, 7, 1, 2, true),
      read(0, 8, 9, 2),
    ];
    expect(checkOperations(registerModel, h).result).toBe('ok');
  });

  it('rejects a stale read after a completed write', () => {
    const h = [write(0, 0, 1, 1), write(0, 2, 3, 2), read(1, 4, 5, 1)];
    const report = checkOperations(registerModel, h);
    expect(report.result).toBe('illegal');
    expect(report.info).toContain('read() -> 1');
    expect(report.info).toContain('longest linearizable prefix has 2 of 3 operations');
  });

  it('orders concurrent operations in whichever way explains the reads', () => {
    // Both writes overlap both reads, which saw them in opposite orders: only one order can hold for all.
    const consistent = [write(0, 0, 10, 1), write(1, 0, 10, 2), read(2, 1, 11, 2), read(3, 12, 13, 1)];
    expect(checkOperations(registerModel, consistent).result).toBe('ok');
    const contradictory = [write(0, 0, 10, 1), write(1, 0, 10, 2), read(2, 11, 12, 2), read(3, 13, 14, 1)];
    expect(checkOperations(registerModel, contradictory).result).toBe('illegal');
  });

  it('lets an unknown write take effect long after its call', () => {
    const h = [write(0, 0, INF, 3), read(1, 1, 2, null), read(1, 3, 4, null), read(1, 50, 51, 3)];
    expect(checkOperations(registerModel, h).result).toBe('ok');
  });

  it('lets an unknown write never take effect', () => {
    const h = [write(0, 0, INF, 3), read(1, 5, 6, null), write(1, 7, 8, 4), read(1, 9, 10, 4)];
    expect(checkOperations(registerModel, h).result).toBe('ok');
  });

  it('does not let an unknown write take effect before its call', () => {
    const h = [read(1, 0, 1, 3), write(0, 2, INF, 3)];
    expect(checkOperations(registerModel, h).result).toBe('illegal');
  });

  it('does not let an unknown write take effect twice', () => {
    const h = [write(0, 0, INF, 3), read(1, 1, 2, 3), write(1, 3, 4, 5), read(1, 5, 6, 3)];
    expect(checkOperations(registerModel, h).result).toBe('illegal');
  });

  it('an unknown cas may apply, and then a failed cas must see its effect', () => {
    const applied = [write(0, 0, 1, 1), cas(1, 2, INF, 1, 2, undefined), read(0, 3, 4, 2)];
    expect(checkOperations(registerModel, applied).result).toBe('ok');
    const failedAgainstExpected = [write(0, 0, 1, 1), cas(0, 2, 3, 1, 5, false)];
    expect(checkOperations(registerModel, failedAgainstExpected).result).toBe('illegal');
    const failedAfterUnknownCas = [
      write(0, 0, 1, 1),
      cas(1, 2, INF, 1, 2, undefined),
      cas(0, 3, 4, 1, 5, false),
    ];
    expect(checkOperations(registerModel, failedAfterUnknownCas).result).toBe('ok');
  });

  it('a read with unknown outcome constrains nothing', () => {
    const h = [write(0, 0, 1, 1), read(1, 2, INF, undefined), read(0, 3, 4, 1)];
    expect(checkOperations(registerModel, h).result).toBe('ok');
  });
});
