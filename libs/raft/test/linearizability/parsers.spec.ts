import { describe, expect, it } from 'vitest';
import { EdnKeyword, parseJepsenEtcdLog, parseKvEdn, readEdn } from '../../src/linearizability/index.js';

const INF = Number.POSITIVE_INFINITY;

describe('parseJepsenEtcdLog', () => {
  it('pairs invocations with completions per process, with tabs or spaces and any prefix', () => {
    const log = [
      '2017-01-01 INFO  jepsen.util - 0\t:invoke\t:read\tnil',
      'INFO  jepsen.util - 1   :invoke :write  4',
      'some unrelated line',
      'INFO  jepsen.util - 1  :ok     :write  4',
      'INFO  jepsen.util - 0\t:ok\t:read\t4',
      'INFO  jepsen.util - 2\t:invoke\t:cas\t[4 -5]',
      'INFO  jepsen.util - 2\t:ok\t:cas\t[4 -5]',
      'INFO  jepsen.util - 0\t:invoke\t:read\tnil',
      'INFO  jepsen.util - 0\t:ok\t:read\tnil',
    ].join('\n');
    expect(parseJepsenEtcdLog(log)).toEqual([
      { clientId: 0, input: { op: 'read' }, call: 1, output: { value: 4 }, return: 4 },
      { clientId: 1, input: { op: 'write', value: 4 }, call: 2, output: { ok: true }, return: 3 },
      { clientId: 2, input: { op: 'cas', expected: 4, value: -5 }, call: 5, output: { ok: true }, return: 6 },
      { clientId: 0, input: { op: 'read' }, call: 7, output: { value: null }, return: 8 },
    ]);
  });

  it('a failed cas returns ok=false; info, a failed read and no ending leave the outcome unknown', () => {
    const log = [
      'INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2]',
      'INFO  jepsen.util - 0\t:fail\t:cas\t[1 2]',
      'INFO  jepsen.util - 1\t:invoke\t:write\t3',
      'INFO  jepsen.util - 1\t:info\t:write\t:timed-out',
      'INFO  jepsen.util - 2\t:invoke\t:read\tnil',
      'INFO  jepsen.util - 2\t:fail\t:read\t:timed-out',
      'INFO  jepsen.util - 3\t:invoke\t:cas\t[3 4]',
    ].join('\r\n');
    const ops = parseJepsenEtcdLog(log);
    expect(ops.map((o) => [o.clientId, o.output, o.return])).toEqual([
      [0, { ok: false }, 2],
      [1, undefined, INF],
      [2, undefined, INF],
      [3, undefined, INF],
    ]);
  });

  it('returns no operations for an empty log', () => {
    expect(parseJepsenEtcdLog('')).toEqual([]);
  });

  it('names the line of an inconsistent or malformed event', () => {
    expect(() => parseJepsenEtcdLog('x - 0 :ok :read 1')).toThrow(
      'line 1: process 0 completes :read but has no open',
    );
    expect(() => parseJepsenEtcdLog('x - 0 :invoke :read nil\nx - 0 :invoke :read nil')).toThrow(
      'line 2: process 0 invokes :read while its :read from line 1 has not completed',
    );
    expect(() => parseJepsenEtcdLog('x - 0 :invoke :read nil\nx - 0 :ok :write 1')).toThrow(
      'its open operation is :read from line 1',
    );
    expect(() => parseJepsenEtcdLog('x - 0 :invoke :cas 1 2')).toThrow('line 1: cas argument "1 2"');
    expect(() => parseJepsenEtcdLog('x - 0 :invoke :write abc')).toThrow('line 1: written value "abc"');
  });
});

describe('readEdn', () => {
  it('reads maps of keywords, strings with escapes, numbers, nil, booleans and vectors', () => {
    const v = readEdn('{:a 1, :b "x \\"y\\"\\n", :c nil, :d [true false -2.5], :e :kw} ; comment', 'test');
    expect(v).toBeInstanceOf(Map);
    const m = v as Map<string, unknown>;
    expect(m.get('a')).toBe(1);
    expect(m.get('b')).toBe('x "y"\n');
    expect(m.get('c')).toBeNull();
    expect(m.get('d')).toEqual([true, false, -2.5]);
    expect(m.get('e')).toEqual(new EdnKeyword('kw'));
  });

  it('names what it cannot read and where', () => {
    expect(() => readEdn('{:a "open', 'here')).toThrow('here: unterminated string');
    expect(() => readEdn('{:a}', 'here')).toThrow('here: map with an odd number of forms');
    expect(() => readEdn('{"a" 1}', 'here')).toThrow('map key that is not a keyword');
    expect(() => readEdn('{:a 1} x', 'here')).toThrow('trailing text after the value at column 8');
    expect(() => readEdn('#{1}', 'here')).toThrow('unsupported token "#"');
  });
});

describe('parseKvEdn', () => {
  it('reads get, put, append and cas with their outcomes', () => {
    const text = [
      '{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}',
      '',
      '{:process 1, :type :invoke, :f :get, :key "0", :value nil}',
      '{:process 0, :type :ok, :f :append, :key "0", :value "x 0 0 y"}',
      '{:process 1, :type :ok, :f :get, :key "0", :value "x 0 0 y"}',
      '; a comment',
      '{:process 2, :type :invoke, :f :put, :key 7, :value "v"}',
      '{:process 3, :type :invoke, :f :cas, :key "k", :value ["a" "b"]}',
      '{:process 3, :type :fail, :f :cas, :key "k", :value ["a" "b"]}',
      '{:process 4, :type :invoke, :f :get, :key "k", :value nil}',
      '{:process 4, :type :ok, :f :get, :key "k", :value nil}',
      '{:process 2, :type :info, :f :put, :key 7, :value "v"}',
    ].join('\n');
    expect(parseKvEdn(text)).toEqual([
      { clientId: 0, input: { op: 'append', key: '0', value: 'x 0 0 y' }, call: 1, output: {}, return: 3 },
      { clientId: 1, input: { op: 'get', key: '0' }, call: 2, output: { value: 'x 0 0 y' }, return: 4 },
      { clientId: 2, input: { op: 'put', key: '7', value: 'v' }, call: 5, output: undefined, return: INF },
      {
        clientId: 3,
        input: { op: 'cas', key: 'k', expected: 'a', value: 'b' },
        call: 6,
        output: { ok: false },
        return: 7,
      },
      { clientId: 4, input: { op: 'get', key: 'k' }, call: 8, output: { value: '' }, return: 9 },
    ]);
  });

  it('names the line of a malformed entry', () => {
    expect(() => parseKvEdn('{:process 0, :type :invoke, :f :get}')).toThrow(
      'kv history line 1: missing :key',
    );
    expect(() => parseKvEdn('\n{:process 0, :type :invoke, :f :del, :key "k"}')).toThrow(
      'line 2: unknown :f :del',
    );
    expect(() => parseKvEdn('{:process "p", :type :invoke}')).toThrow(':process must be an integer');
    expect(() => parseKvEdn('[1 2]')).toThrow('line 1: expected an EDN map');
  });
});
