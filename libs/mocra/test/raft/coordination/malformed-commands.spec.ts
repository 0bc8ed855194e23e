import { describe, expect, it } from 'vitest';
import {
  CoordinationCommandError,
  CoordinationStateMachine,
  decodeCoordinationResult,
  encodeCoordinationCommand,
} from '../../../src/raft/coordination/index.js';
import { packCoordination } from '../../../src/raft/coordination/coordination.msgpack.js';
import { applyCommand, prng } from './support/apply-command.js';

const T0 = 1_700_000_000_000;
const v = packCoordination;

function seeded(): CoordinationStateMachine {
  const m = new CoordinationStateMachine();
  applyCommand(m, { op: 'cache.set', at: T0, key: 'k', value: v(1), ttlMs: 1_000 });
  applyCommand(m, { op: 'lock.acquire', at: T0, name: 'L', holder: 'a', leaseMs: 1_000 });
  return m;
}

/** Applies bytes and returns the refusal message (failing the test when the command was accepted). */
function refusal(m: CoordinationStateMachine, bytes: Uint8Array): string {
  try {
    decodeCoordinationResult('cache.set', m.apply(bytes, 9));
  } catch (error) {
    expect(error).toBeInstanceOf(CoordinationCommandError);
    return (error as Error).message;
  }
  throw new Error('the malformed command was accepted');
}

const valid = { v: 1, op: 'cache.set', at: T0 + 5_000, key: 'k', value: v(2) };

describe('CoordinationStateMachine malformed commands', () => {
  it.each<[string, unknown, RegExp]>([
    ['an unknown op', { ...valid, op: 'cache.nuke' }, /command\.op: unknown op "cache\.nuke"/],
    ['an unknown version', { ...valid, v: 9 }, /command\.v: version 9 is not supported/],
    ['a string clock', { ...valid, at: '5' }, /command\.at: expected an integer/],
    ['a negative clock', { ...valid, at: -1 }, /command\.at: -1 is outside/],
    ['a fractional TTL', { ...valid, ttlMs: 1.5 }, /command\.ttlMs: expected an integer/],
    ['a zero TTL', { ...valid, ttlMs: 0 }, /command\.ttlMs: 0 is outside/],
    ['an empty key', { ...valid, key: '' }, /command\.key: must not be empty/],
    [
      'an oversized key',
      { ...valid, key: 'k'.repeat(2000) },
      /command\.key: string of 2000 bytes exceeds 1024/,
    ],
    ['a value that is a string, not bytes', { ...valid, value: 'x' }, /command\.value: expected bytes/],
    [
      'value bytes that are not MessagePack',
      { ...valid, value: new Uint8Array([0xc4, 0x05, 0x01]) },
      /command\.value: truncated MessagePack/,
    ],
    [
      'a value nested 1,000 deep',
      { ...valid, value: new Uint8Array([...new Array<number>(1000).fill(0x91), 0xc0]) },
      /command\.value: MessagePack nested deeper than 100/,
    ],
    [
      'a value claiming more items than it has bytes',
      { ...valid, value: new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0]) },
      /command\.value: MessagePack container of 4294967295 items exceeds the input/,
    ],
    [
      'a value with a foreign extension type',
      { ...valid, value: new Uint8Array([0xd4, 0x05, 0x00]) },
      /command\.value: MessagePack extension type 5 is not allowed/,
    ],
    ['a missing field', { v: 1, op: 'cache.set', at: T0, key: 'k' }, /command\.value: missing/],
    ['an unknown field', { ...valid, extra: 1 }, /command\.extra: unknown field/],
    ['a prototype key', JSON.parse('{"v":1,"op":"clock","at":1,"__proto__":{"x":1}}'), /unknown field/],
    ['an array instead of a map', [1, 'cache.set'], /command: expected a map, got an array/],
    [
      'a batch with a bad write',
      {
        v: 1,
        op: 'cache.batch',
        at: T0,
        writes: [
          { op: 'del', key: 'k' },
          { op: 'wipe', key: 'k' },
        ],
      },
      /command\.writes\[1\]\.op: unknown batch write "wipe"/,
    ],
    [
      'a rate of zero',
      {
        v: 1,
        op: 'rate.grant',
        at: T0,
        key: 'k',
        holder: 'a',
        want: 1,
        ratePerSec: 0,
        burst: 1,
        horizonMs: 0,
      },
      /command\.ratePerSec: must be greater than 0/,
    ],
    [
      'a lock token of zero',
      { v: 1, op: 'lock.release', at: T0, name: 'L', holder: 'a', token: 0 },
      /command\.token: 0 is outside/,
    ],
  ])('refuses %s with a message naming the field, and changes nothing', (_what, command, message) => {
    const m = seeded();
    const before = Buffer.from(m.snapshot());
    expect(refusal(m, packCoordination(command))).toMatch(message);
    expect(Buffer.from(m.snapshot()).equals(before)).toBe(true);
  });

  it('refuses a command nested too deep before decoding it, so no replica can overflow its stack', () => {
    const m = seeded();
    const deep = new Uint8Array([0x81, 0xa1, 0x78, ...new Array<number>(50_000).fill(0x91), 0xc0]);
    expect(refusal(m, deep)).toMatch(/malformed command: command: MessagePack nested deeper than 100/);
  });

  it('refuses random bytes, truncations and empty input alike on every replica, without throwing', () => {
    const rand = prng(99);
    const inputs: Uint8Array[] = [new Uint8Array(0)];
    const good = encodeCoordinationCommand({
      op: 'cache.batch',
      at: T0,
      writes: [{ op: 'set', key: 'b', value: v({ deep: [1, 2, 3] }), ttlMs: 5 }],
    });
    for (let cut = 0; cut < good.length; cut++) inputs.push(good.subarray(0, cut));
    for (let i = 0; i < 500; i++) {
      const bytes = new Uint8Array(1 + Math.floor(rand() * 40));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rand() * 256);
      inputs.push(bytes);
      const flipped = Uint8Array.from(good);
      flipped[Math.floor(rand() * flipped.length)]! ^= 1 << Math.floor(rand() * 8);
      inputs.push(flipped);
    }
    const a = seeded();
    const b = seeded();
    let refused = 0;
    for (const bytes of inputs) {
      const ra = a.apply(bytes, 1);
      expect(Buffer.from(b.apply(bytes, 1)).equals(Buffer.from(ra))).toBe(true);
      try {
        decodeCoordinationResult('cache.batch', ra);
      } catch (error) {
        if (!(error instanceof CoordinationCommandError)) throw error;
        refused++;
      }
    }
    expect(refused).toBeGreaterThanOrEqual(500);
    expect(Buffer.from(b.snapshot()).equals(Buffer.from(a.snapshot()))).toBe(true);
  });
});
