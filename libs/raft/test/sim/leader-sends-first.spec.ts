import { describe, expect, it } from 'vitest';
import { isSimViolation, runSimulation } from '../../src/sim/index.js';

// RaftNode lets a leader send a Ready's messages while its own write is still on its way to disk. The simulator
// models that window (the write becomes durable at the leader's next tick; a crash before then loses it) and every
// invariant and the linearizability check must still hold.

const SEEDS = Number(process.env['SIM_LEADER_FIRST_SEEDS'] ?? 600);
const BATCH = 150;

describe('leader sends before its own write is durable', () => {
  for (let start = 1; start <= SEEDS; start += BATCH) {
    const end = Math.min(SEEDS, start + BATCH - 1);
    it(`seeds ${start}..${end} keep every invariant and stay linearizable`, () => {
      const failures: string[] = [];
      for (let seed = start; seed <= end && failures.length < 3; seed++) {
        try {
          runSimulation({ seed, leaderSendsFirst: true });
        } catch (error) {
          const message = isSimViolation(error) ? error.message : String(error);
          failures.push(`seed=${seed}: ${message}`);
        }
      }
      expect(failures).toEqual([]);
    }, 300_000);
  }
});
