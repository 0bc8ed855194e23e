import { describe, expect, it } from 'vitest';
import type { KvInput } from '../../src/linearizability/kv.model.js';
import { CodecError } from '../../src/session/index.js';
import {
  decodeKvInput,
  decodeKvOutput,
  encodeKvInput,
  encodeKvOutput,
  EventQueue,
  KvStateMachine,
  Prng,
  SimNetwork,
} from '../../src/sim/index.js';

const text = new TextEncoder();

describe('Prng', () => {
  it('replays the same stream for a seed and differs across seeds', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const streamA = Array.from({ length: 50 }, () => a.nextU32());
    expect(Array.from({ length: 50 }, () => b.nextU32())).toEqual(streamA);
    expect(Array.from({ length: 50 }, () => c.nextU32())).not.toEqual(streamA);
  });

  it('stays in range and covers every value of a small range', () => {
    const prng = new Prng(7);
    const seen = new Set<number>();
    let outOfRange = 0;
    for (let i = 0; i < 2000; i++) {
      const v = prng.range(3, 9);
      const f = prng.next();
      if (v < 3 || v > 9 || f < 0 || f >= 1) outOfRange++;
      seen.add(v);
    }
    expect(outOfRange).toBe(0);
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('EventQueue', () => {
  it('pops by time, and in scheduling order within one time', () => {
    const queue = new EventQueue<string>();
    const prng = new Prng(1);
    const pushed: Array<[number, string]> = [];
    for (let i = 0; i < 300; i++) {
      const time = prng.int(20);
      pushed.push([time, `e${i}`]);
      queue.push(time, `e${i}`);
    }
    const expected = [...pushed].sort((x, y) => x[0] - y[0]).map(([, name]) => name); // stable sort
    const popped: string[] = [];
    for (let e = queue.pop(); e; e = queue.pop()) popped.push(e.item);
    expect(popped).toEqual(expected);
  });
});

describe('KV command codec and state machine', () => {
  const inputs: KvInput[] = [
    { op: 'get', key: 'k' },
    { op: 'put', key: 'k', value: 'v' },
    { op: 'append', key: 'ключ', value: ';x' },
    { op: 'cas', key: 'k', expected: '', value: 'new' },
  ];

  it('round-trips every operation and every output shape', () => {
    for (const input of inputs) expect(decodeKvInput(encodeKvInput(input))).toEqual(input);
    for (const output of [{}, { value: '' }, { value: 'abc' }, { ok: true }, { ok: false }]) {
      expect(decodeKvOutput(encodeKvOutput(output))).toEqual(output);
    }
  });

  it('rejects truncated and unknown commands', () => {
    const valid = encodeKvInput({ op: 'cas', key: 'k', expected: 'a', value: 'b' });
    for (let cut = 0; cut < valid.length; cut++)
      expect(() => decodeKvInput(valid.slice(0, cut))).toThrow(CodecError);
    expect(() => decodeKvInput(Uint8Array.of(9, 0, 0))).toThrow(/unknown tag 9/);
  });

  it('applies put/append/cas, survives a snapshot, and treats garbage as a no-op', () => {
    const kv = new KvStateMachine();
    kv.apply(encodeKvInput({ op: 'put', key: 'a', value: '1' }));
    kv.apply(encodeKvInput({ op: 'append', key: 'a', value: '2' }));
    expect(
      decodeKvOutput(kv.apply(encodeKvInput({ op: 'cas', key: 'a', expected: 'x', value: '9' }))),
    ).toEqual({
      ok: false,
    });
    expect(
      decodeKvOutput(kv.apply(encodeKvInput({ op: 'cas', key: 'a', expected: '12', value: '3' }))),
    ).toEqual({
      ok: true,
    });
    expect(decodeKvOutput(kv.apply(text.encode('garbage')))).toEqual({});
    const copy = new KvStateMachine();
    copy.restore(kv.snapshot());
    expect(copy.get('a')).toBe('3');
    expect(copy.get('missing')).toBe('');
    expect(copy.snapshot()).toEqual(kv.snapshot());
  });
});

describe('SimNetwork', () => {
  it('drops everything across a partition, in the blocked direction only for an asymmetric one', () => {
    const network = new SimNetwork(new Prng(5), { loss: 0, duplicate: 0, minDelay: 1, maxDelay: 4 });
    network.partition([['a'], ['b', 'c']]);
    expect(network.plan('a', 'b')).toEqual({ delays: [], partitioned: true });
    expect(network.plan('c', 'a').partitioned).toBe(true);
    expect(network.plan('b', 'c').delays).toHaveLength(1);
    network.healPartitions();
    network.block('a', 'b');
    expect(network.plan('a', 'b').partitioned).toBe(true);
    expect(network.plan('b', 'a').delays).toHaveLength(1);
  });

  it('loses, delays within range and duplicates at the configured rates', () => {
    const network = new SimNetwork(new Prng(9), { loss: 0.2, duplicate: 0.3, minDelay: 2, maxDelay: 6 });
    let lost = 0;
    let copies = 0;
    let badDelays = 0;
    for (let i = 0; i < 5000; i++) {
      const plan = network.plan('a', 'b');
      if (plan.delays.length === 0) lost++;
      if (plan.delays.length === 2) copies++;
      if (plan.delays[0] !== undefined && (plan.delays[0] < 2 || plan.delays[0] > 6)) badDelays++;
    }
    expect(badDelays).toBe(0);
    expect(lost / 5000).toBeGreaterThan(0.15);
    expect(lost / 5000).toBeLessThan(0.25);
    expect(copies / 4000).toBeGreaterThan(0.2);
    expect(copies / 4000).toBeLessThan(0.4);
  });
});
