import { describe, expect, it } from 'vitest';
import {
  formatHistory,
  registerModel,
  type RegisterInput,
  type RegisterOutput,
} from '../../src/linearizability/index.js';
import { op } from './reference-histories.fixture.js';

describe('formatHistory', () => {
  it('draws one bar per operation in call order, open-ended for unknown outcomes', () => {
    const history = [
      op<RegisterInput, RegisterOutput>(1, 2, 3, { op: 'read' }, { value: 5 }),
      op<RegisterInput, RegisterOutput>(0, 0, 1, { op: 'write', value: 5 }, { ok: true }),
      op<RegisterInput, RegisterOutput>(2, 1, Number.POSITIVE_INFINITY, { op: 'cas', expected: 5, value: 6 }),
    ];
    const lines = formatHistory(registerModel, history, { width: 7 }).split('\n');
    expect(lines).toEqual([
      'client timeline  operation',
      '     0 |[=]    | #1 write(5)',
      '     2 |  [===>| #2 cas(5, 6) -> ?',
      '     1 |    [=]| #0 read() -> 5',
    ]);
  });

  it('truncates long histories', () => {
    const history = Array.from({ length: 5 }, (_, i) =>
      op<RegisterInput, RegisterOutput>(i, i, i + 1, { op: 'write', value: i }, { ok: true }),
    );
    const text = formatHistory(registerModel, history, { maxOps: 2 });
    expect(text.split('\n')).toHaveLength(4);
    expect(text).toContain('... 3 more operations');
  });
});
