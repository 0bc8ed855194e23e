import { describe, expect, it } from 'vitest';
import { HostPoliteness, parseRetryAfter } from '../../src/downloader/index.js';

function setup(): { p: HostPoliteness; advance(ms: number): void; now(): number } {
  let t = Date.UTC(2026, 0, 1);
  const p = new HostPoliteness({}, () => t);
  return { p, advance: (ms) => void (t += ms), now: () => t };
}

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates, and nothing else', () => {
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    expect(parseRetryAfter('2', now)).toBe(2_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('HostPoliteness', () => {
  it('blocks only the host that answered 429, for Retry-After or 60 s without one', () => {
    const { p, now } = setup();
    p.onResponse('a.test', 429, { 'retry-after': '2' }, 0);
    expect(p.blockedUntil('a.test')).toBe(now() + 2_000);
    expect(p.blockedUntil('b.test')).toBe(0);
    p.onResponse('b.test', 429, {}, 0);
    expect(p.blockedUntil('b.test')).toBe(now() + 60_000);
  });

  it('halves the rate on 503 (once per window, floor 0.1) and recovers x1.1 per successful window', () => {
    const { p, advance } = setup();
    p.onResponse('h', 503, {}, 8);
    expect(p.effectiveRate('h', 8)).toBe(4);
    p.onResponse('h', 503, {}, 8);
    expect(p.effectiveRate('h', 8)).toBe(4);
    for (let i = 0; i < 10; i++) {
      advance(1_000);
      p.onResponse('h', 503, {}, 8);
    }
    expect(p.effectiveRate('h', 8)).toBe(0.1);
    advance(1_000);
    p.onResponse('h', 200, {}, 8);
    expect(p.effectiveRate('h', 8)).toBeCloseTo(0.11);
    for (let i = 0; i < 60; i++) {
      advance(1_000);
      p.onResponse('h', 200, {}, 8);
    }
    expect(p.effectiveRate('h', 8)).toBe(8);
  });

  it('leaves an unlimited host unthrottled by 503s by default, as the seed did', () => {
    const { p } = setup();
    p.onResponse('h', 503, {}, 0);
    p.onResponse('h', 503, {}, 0);
    expect(p.effectiveRate('h', 0)).toBe(0);
  });

  it('throttles an unlimited host from an adaptive start rate when one is configured', () => {
    const p = new HostPoliteness({ adaptiveStartRate: 10 }, () => 0);
    p.onResponse('h', 503, {}, 0);
    expect(p.effectiveRate('h', 0)).toBe(5);
  });

  it('suspends a host after consecutive network errors; a response resets the count', () => {
    const { p, now } = setup();
    p.onNetworkError('h');
    p.onNetworkError('h');
    p.onResponse('h', 200, {}, 0);
    p.onNetworkError('h');
    p.onNetworkError('h');
    expect(p.blockedUntil('h')).toBeLessThanOrEqual(now());
    p.onNetworkError('h');
    expect(p.blockedUntil('h')).toBe(now() + 10_000);
  });
});
