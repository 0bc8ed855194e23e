import { describe, expect, it } from 'vitest';
import { CoordinationDecodeError } from '../../../src/raft/coordination/index.js';
import { packCoordination } from '../../../src/raft/coordination/coordination.msgpack.js';
import { checkPackedShape } from '../../../src/raft/coordination/msgpack-shape.js';
import { prng } from './support/apply-command.js';

/** Random values of every kind the codec produces, across every length class of MessagePack. */
function randomValue(rand: () => number, depth: number): unknown {
  const pick = Math.floor(rand() * (depth >= 3 ? 9 : 12));
  const len = (): number => [0, 1, 15, 16, 31, 32, 255, 256, 65_535, 65_536][Math.floor(rand() * 10)]!;
  switch (pick) {
    case 0:
      return null;
    case 1:
      return rand() < 0.5;
    case 2:
      return Math.floor((rand() - 0.5) * 2 ** (1 + Math.floor(rand() * 60)));
    case 3:
      return rand() * 1e6;
    case 4:
      return 'é'.repeat(Math.floor(len() / 2));
    case 5:
      return new Uint8Array(len());
    case 6:
      return new Date(Math.floor(rand() * 4e12));
    case 7:
      return -Math.floor(rand() * 40);
    case 8:
      return undefined;
    case 9:
      return Array.from({ length: Math.min(len(), 20) }, () => randomValue(rand, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: Math.min(len(), 20) }, (_, i) => [`k${i}`, randomValue(rand, depth + 1)]),
      );
  }
}

describe('checkPackedShape', () => {
  it('accepts everything the codec packs and refuses every truncation of it', () => {
    const rand = prng(21);
    for (let i = 0; i < 300; i++) {
      const bytes = packCoordination([randomValue(rand, 0), randomValue(rand, 0)]);
      expect(() => checkPackedShape(bytes, 'value')).not.toThrow();
      const cut = Math.floor(rand() * bytes.length);
      expect(() => checkPackedShape(bytes.subarray(0, cut), 'value')).toThrow(CoordinationDecodeError);
    }
  });

  it('walks 32-bit container lengths', () => {
    const many = Array.from({ length: 70_000 }, (_, i) => i % 7);
    const map = Object.fromEntries(many.map((v, i) => [`k${i}`, v]));
    expect(() => checkPackedShape(packCoordination([many, map]), 'v')).not.toThrow();
  });

  it('refuses trailing bytes and the unused code 0xc1', () => {
    expect(() => checkPackedShape(new Uint8Array([0xc0, 0xc0]), 'v')).toThrow(/v: 1 bytes trail/);
    expect(() => checkPackedShape(new Uint8Array([0x91, 0xc1]), 'v')).toThrow(/0xc1 at 1 is never used/);
  });

  it('accepts nesting up to the bound and refuses one level more', () => {
    const nested = (levels: number): Uint8Array =>
      new Uint8Array([...new Array<number>(levels).fill(0x91), 0xc0]);
    expect(() => checkPackedShape(nested(100), 'v')).not.toThrow();
    expect(() => checkPackedShape(nested(101), 'v')).toThrow(/nested deeper than 100/);
  });
});
