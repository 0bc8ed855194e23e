import { describe, expect, it } from 'vitest';
import {
  CoordinationStateMachine,
  encodeCoordinationCommand,
  type CronClaim,
} from '../../../src/raft/coordination/index.js';
import { decodeCoordinationResult } from '../../../src/raft/coordination/index.js';
import { applyCommand, prng } from './support/apply-command.js';

const T0 = 1_700_000_000_000;

describe('CoordinationStateMachine cron claims', () => {
  it('grants each fire time exactly once when 3 nodes race for every fire of a schedule over 20 s', () => {
    const m = new CoordinationStateMachine();
    const rand = prng(5);
    const fires = Array.from({ length: 10 }, (_, i) => T0 + 2_000 * (i + 1));
    const claims: Array<{ fireTime: number; nodeId: string; claimed: boolean }> = [];
    for (const fireTime of fires) {
      // every node believes it leads (say, across a leader change) and some retry their claim
      const attempts = ['n1', 'n2', 'n3', 'n1', 'n3'].sort(() => rand() - 0.5);
      for (const nodeId of attempts) {
        const at = fireTime + Math.floor(rand() * 50);
        const r = applyCommand(m, { op: 'cron.claim', at, schedule: 'every-2s', fireTime, nodeId });
        claims.push({ fireTime, nodeId, claimed: r.claimed });
      }
    }
    for (const fireTime of fires) {
      expect(claims.filter((c) => c.fireTime === fireTime && c.claimed)).toHaveLength(1);
    }
    expect(claims.filter((c) => c.claimed)).toHaveLength(10);
  });

  it('refuses a fire time at or before the last claimed one, also on a replica restored from a snapshot', () => {
    const m = new CoordinationStateMachine();
    const claim = (machine: CoordinationStateMachine, fireTime: number, nodeId: string): CronClaim =>
      decodeCoordinationResult(
        'cron.claim',
        machine.apply(
          encodeCoordinationCommand({ op: 'cron.claim', at: fireTime, schedule: 's', fireTime, nodeId }),
          1,
        ),
      );
    expect(claim(m, T0 + 4_000, 'n1')).toEqual({ claimed: true, lastFireTime: T0 + 4_000, nodeId: 'n1' });
    // the new leader catching up on fire times its predecessor may have missed
    expect(claim(m, T0 + 2_000, 'n2')).toEqual({ claimed: false, lastFireTime: T0 + 4_000, nodeId: 'n1' });
    const restored = new CoordinationStateMachine();
    restored.restore(m.snapshot());
    expect(claim(restored, T0 + 4_000, 'n2').claimed).toBe(false);
    expect(claim(restored, T0 + 6_000, 'n2').claimed).toBe(true);
    // schedules are independent
    expect(
      applyCommand(m, { op: 'cron.claim', at: T0, schedule: 'other', fireTime: T0, nodeId: 'n3' }).claimed,
    ).toBe(true);
  });
});
