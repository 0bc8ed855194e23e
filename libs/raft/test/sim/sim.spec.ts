import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSimViolation, randomFaultMix, runSimulation, Prng, type SimResult } from '../../src/sim/index.js';

const REPLAY_SEED = process.env['SIM_SEED'] === undefined ? undefined : Number(process.env['SIM_SEED']);
const SEED_COUNT = Number(process.env['SIM_SEEDS'] ?? 2000);
/** Seeds per test case, so progress shows and no single case runs for minutes. */
const BATCH = 100;
const MAX_REPORTED_FAILURES = 5;

function replayCommand(seed: number): string {
  return `SIM_SEED=${seed} npx vitest run libs/raft/test/sim`;
}

/** Runs one seed; on a violation prints the banner CI greps for and returns the message. */
function runSeed(seed: number): string | undefined {
  try {
    runSimulation({ seed });
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.error(`SIM FAILURE seed=${seed}\n${message}\nreplay: ${replayCommand(seed)}`);
    return `seed=${seed}: ${isSimViolation(error) ? error.message : message}`;
  }
}

describe.skipIf(REPLAY_SEED !== undefined || SEED_COUNT === 0)('raft simulation over many seeds', () => {
  const failures: string[] = [];
  for (let start = 1; start <= SEED_COUNT; start += BATCH) {
    const end = Math.min(SEED_COUNT, start + BATCH - 1);
    it(`seeds ${start}..${end} keep every invariant, converge after healing and stay linearizable`, () => {
      if (failures.length >= MAX_REPORTED_FAILURES) return;
      const batchFailures: string[] = [];
      for (
        let seed = start;
        seed <= end && failures.length + batchFailures.length < MAX_REPORTED_FAILURES;
        seed++
      ) {
        const failure = runSeed(seed);
        if (failure) batchFailures.push(failure);
      }
      failures.push(...batchFailures);
      expect(batchFailures).toEqual([]);
    }, 300_000);
  }
});

describe.runIf(REPLAY_SEED !== undefined)('raft simulation replay', () => {
  it(`replays seed ${REPLAY_SEED} with a trace`, () => {
    const seed = REPLAY_SEED as number;
    const file = join(tmpdir(), `raft-sim-seed-${seed}.trace`);
    let result: SimResult | undefined;
    try {
      result = runSimulation({ seed, trace: true });
    } catch (error) {
      const trace = isSimViolation(error) ? error.trace : [];
      writeFileSync(file, trace.join('\n'));
      console.error(
        `SIM FAILURE seed=${seed}: full trace in ${file}; last lines:\n${trace.slice(-80).join('\n')}`,
      );
      throw error;
    }
    writeFileSync(file, result.trace.join('\n'));
    console.log(`seed ${seed} passed: ${JSON.stringify(result.stats)}; trace in ${file}`);
  }, 300_000);
});

describe.skipIf(REPLAY_SEED !== undefined)('raft simulation self-checks', () => {
  it('replays a seed exactly: the same seed gives the same trace and history', () => {
    const first = runSimulation({ seed: 3, trace: true });
    const second = runSimulation({ seed: 3, trace: true });
    expect(first.trace.length).toBeGreaterThan(100);
    expect(second.trace).toEqual(first.trace);
    expect(second.history).toEqual(first.history);
    const other = runSimulation({ seed: 4, trace: true });
    expect(other.trace).not.toEqual(first.trace);
  });

  /** Runs the broken driver over seeds until a violation passes `accept`; returns its description. */
  function findUnsafeViolation(
    checkDurability: boolean,
    accept: (invariant: string) => boolean,
  ): string | undefined {
    for (let seed = 1; seed <= 300; seed++) {
      const faults = {
        ...randomFaultMix(new Prng(seed)),
        crashes: true,
        faultInterval: 3,
        membership: false,
      };
      try {
        runSimulation({ seed, faults, unsafeSendBeforePersist: true, checkDurability });
      } catch (error) {
        if (!isSimViolation(error)) throw error;
        if (accept(error.invariant)) return error.message;
      }
    }
    return undefined;
  }

  it('catches stale reads served without ReadIndex through the linearizability check', () => {
    let caught: string | undefined;
    for (let seed = 1; seed <= 200 && caught === undefined; seed++) {
      const faults = { ...randomFaultMix(new Prng(seed)), partitions: true };
      try {
        runSimulation({ seed, faults, unsafeLocalReads: true });
      } catch (error) {
        if (!isSimViolation(error)) throw error;
        if (error.invariant === 'linearizability') caught = error.message;
      }
    }
    expect(caught).toMatch(/is not linearizable/);
  }, 300_000);

  it('catches a driver that sends messages before persisting: durability check', () => {
    const caught = findUnsafeViolation(true, (invariant) => invariant === 'durability');
    expect(caught).toMatch(/durability violated: n\d+ (sent messages at term|granted its)/);
  }, 300_000);

  it('catches a driver that sends messages before persisting: Raft safety properties alone', () => {
    const safety = ['election safety', 'single vote per term', 'log matching', 'leader completeness'];
    const caught = findUnsafeViolation(false, (invariant) =>
      [...safety, 'state machine safety', 'linearizability'].includes(invariant),
    );
    expect(caught).toBeDefined();
    console.log(`unsafe driver caught by: ${caught}`);
  }, 300_000);
});
