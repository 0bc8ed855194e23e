import { describe, expect, it } from 'vitest';
import { CoordinationStateMachine, type LockGrant } from '../../../src/raft/coordination/index.js';
import { applyCommand, prng } from './support/apply-command.js';

const T0 = 1_000;

describe('CoordinationStateMachine locks', () => {
  it('grants one holder at a time and refuses the others while the lease lives', () => {
    const m = new CoordinationStateMachine();
    const a = applyCommand(m, { op: 'lock.acquire', at: T0, name: 'L', holder: 'a', leaseMs: 100 });
    expect(a).toEqual({ granted: true, token: 1, holder: 'a', expiresAt: T0 + 100 });
    const b = applyCommand(m, { op: 'lock.acquire', at: T0 + 99, name: 'L', holder: 'b', leaseMs: 100 });
    expect(b).toEqual({ granted: false, token: 1, holder: 'a', expiresAt: T0 + 100 });
    // the live holder asking again (a retried acquire) keeps its token and extends the lease
    const again = applyCommand(m, { op: 'lock.acquire', at: T0 + 50, name: 'L', holder: 'a', leaseMs: 100 });
    expect(again).toEqual({ granted: true, token: 1, holder: 'a', expiresAt: T0 + 199 });
  });

  it('hands an expired lease to another holder with a higher token; the old holder can neither renew nor release', () => {
    const m = new CoordinationStateMachine();
    applyCommand(m, { op: 'lock.acquire', at: T0, name: 'L', holder: 'a', leaseMs: 100 });
    const b = applyCommand(m, { op: 'lock.acquire', at: T0 + 100, name: 'L', holder: 'b', leaseMs: 100 });
    expect(b).toMatchObject({ granted: true, token: 2, holder: 'b' });
    expect(
      applyCommand(m, { op: 'lock.renew', at: T0 + 101, name: 'L', holder: 'a', token: 1, leaseMs: 100 }),
    ).toEqual({ granted: false, token: 2, holder: 'b', expiresAt: T0 + 200 });
    expect(applyCommand(m, { op: 'lock.release', at: T0 + 101, name: 'L', holder: 'a', token: 1 })).toBe(
      false,
    );
    expect(
      applyCommand(m, { op: 'lock.renew', at: T0 + 150, name: 'L', holder: 'b', token: 2, leaseMs: 100 }),
    ).toEqual({ granted: true, token: 2, holder: 'b', expiresAt: T0 + 250 });
    expect(applyCommand(m, { op: 'lock.release', at: T0 + 160, name: 'L', holder: 'b', token: 2 })).toBe(
      true,
    );
    expect(m.lockGet('L')).toBeUndefined();
    // a lapsed lease is lost, not revived by a late renew
    applyCommand(m, { op: 'lock.acquire', at: T0 + 200, name: 'L', holder: 'c', leaseMs: 10 });
    expect(
      applyCommand(m, { op: 'lock.renew', at: T0 + 210, name: 'L', holder: 'c', token: 3, leaseMs: 10 }),
    ).toMatchObject({
      granted: false,
    });
  });

  it('fencing tokens strictly increase across holders, releases and expiry; leases never overlap', () => {
    const m = new CoordinationStateMachine();
    const rand = prng(3);
    let clock = T0;
    const granted: Array<LockGrant & { at: number }> = [];
    /** When each token's lease ended early by release. */
    const releasedAt = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      clock += Math.floor(rand() * 30);
      const holder = `h${Math.floor(rand() * 3)}`;
      const current = m.lockGet('L', clock);
      if (current?.holder === holder && rand() < 0.3) {
        const released = applyCommand(m, {
          op: 'lock.release',
          at: clock,
          name: 'L',
          holder,
          token: current.token,
        });
        expect(released).toBe(true);
        releasedAt.set(current.token, clock);
        continue;
      }
      const leaseMs = 1 + Math.floor(rand() * 80);
      const g = applyCommand(m, { op: 'lock.acquire', at: clock, name: 'L', holder, leaseMs });
      if (g.granted) granted.push({ ...g, at: clock });
    }
    // each grant (a renewal by acquire included) sets the lease to run from its own instant
    const endOf = (token: number): number => {
      const expiry = granted.filter((g) => g.token === token).at(-1)!.expiresAt;
      return Math.min(expiry, releasedAt.get(token) ?? Infinity);
    };
    const fresh = granted.filter((g, i) => i === 0 || g.token !== granted[i - 1]!.token);
    expect(fresh.length).toBeGreaterThan(100);
    for (let i = 1; i < fresh.length; i++) {
      expect(fresh[i]!.token).toBeGreaterThan(fresh[i - 1]!.token);
      expect(fresh[i]!.at).toBeGreaterThanOrEqual(endOf(fresh[i - 1]!.token));
    }
    const holderOf = new Map<number, string>();
    for (const g of granted) {
      expect(holderOf.get(g.token) ?? g.holder).toBe(g.holder);
      holderOf.set(g.token, g.holder);
    }
  });
});
