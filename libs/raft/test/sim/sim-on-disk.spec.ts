import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LevelStorage } from '../../src/storage/level-storage.js';
import {
  isSimViolation,
  Prng,
  randomFaultMix,
  runSimulationOnDisk,
  Simulation,
  type SimOptions,
} from '../../src/sim/index.js';

const REPLAY_SEED =
  process.env['SIM_DISK_SEED'] === undefined ? undefined : Number(process.env['SIM_DISK_SEED']);
const SEED_COUNT = Number(process.env['SIM_DISK_SEEDS'] ?? 300);
const BATCH = 50;
/** Shorter fault phases than the in-memory runs: every Ready is a LevelDB write here. */
const FAULT_TICKS = 80;
const MAX_REPORTED_FAILURES = 5;
/**
 * LevelDB fsyncs its manifest on every open even with sync writes off, and the runs open hundreds of databases:
 * on tmpfs those fsyncs cost nothing. SIM_DISK_TMPDIR overrides (e.g. to run on a real disk).
 */
const TEMP_ROOT = process.env['SIM_DISK_TMPDIR'] ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());

/** Every disk run crashes and restarts nodes: that is what the real storage is here to show. */
function diskOptions(seed: number): SimOptions {
  return { seed, faultTicks: FAULT_TICKS, faults: { ...randomFaultMix(new Prng(seed)), crashes: true } };
}

describe.skipIf(REPLAY_SEED !== undefined || SEED_COUNT === 0)('raft simulation on LevelStorage', () => {
  const failures: string[] = [];
  const totals = { seeds: 0, ms: 0, crashes: 0, reopens: 0, snapshots: 0, installs: 0 };

  afterAll(() => {
    const perSecond = totals.seeds / (totals.ms / 1000);
    console.log(
      `sim on disk: ${totals.seeds} seeds in ${(totals.ms / 1000).toFixed(1)} s = ${perSecond.toFixed(1)} seeds/s; ` +
        `${totals.crashes} crashes, ${totals.reopens} restarts from disk, ${totals.snapshots} snapshots taken, ` +
        `${totals.installs} installed`,
    );
  });

  for (let start = 1; start <= SEED_COUNT; start += BATCH) {
    const end = Math.min(SEED_COUNT, start + BATCH - 1);
    it(`seeds ${start}..${end} restart from disk and keep every invariant and linearizability`, async () => {
      if (failures.length >= MAX_REPORTED_FAILURES) return;
      const batchFailures: string[] = [];
      for (let seed = start; seed <= end; seed++) {
        const began = Date.now();
        try {
          const result = await runSimulationOnDisk(diskOptions(seed), TEMP_ROOT);
          totals.crashes += result.stats.crashes;
          totals.reopens += result.stats.storageReopens;
          totals.snapshots += result.stats.snapshotsTaken;
          totals.installs += result.stats.snapshotsInstalled;
        } catch (error) {
          const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
          console.error(
            `SIM ON DISK FAILURE seed=${seed}\n${message}\n` +
              `replay: SIM_DISK_SEED=${seed} npx vitest run libs/raft/test/sim/sim-on-disk.spec.ts`,
          );
          batchFailures.push(`seed=${seed}: ${isSimViolation(error) ? error.message : message}`);
          if (failures.length + batchFailures.length >= MAX_REPORTED_FAILURES) break;
        }
        totals.seeds++;
        totals.ms += Date.now() - began;
      }
      failures.push(...batchFailures);
      expect(batchFailures).toEqual([]);
      // the batch really crashed nodes and brought them back from their directories
      expect(totals.reopens).toBeGreaterThan(0);
    }, 120_000);
  }
});

describe.runIf(REPLAY_SEED !== undefined)('raft simulation on LevelStorage: replay', () => {
  it(`replays seed ${REPLAY_SEED} on disk with a trace`, async () => {
    try {
      const result = await runSimulationOnDisk(
        { ...diskOptions(REPLAY_SEED as number), trace: true },
        TEMP_ROOT,
      );
      console.log(`seed ${REPLAY_SEED} passed: ${JSON.stringify(result.stats)}`);
    } catch (error) {
      if (isSimViolation(error)) console.error(error.trace.slice(-80).join('\n'));
      throw error;
    }
  }, 120_000);
});

describe.skipIf(REPLAY_SEED !== undefined)('raft simulation on LevelStorage: self-checks', () => {
  it('replays a seed exactly on disk: the same seed gives the same trace and history', async () => {
    const first = await runSimulationOnDisk({ ...diskOptions(6), trace: true }, TEMP_ROOT);
    const second = await runSimulationOnDisk({ ...diskOptions(6), trace: true }, TEMP_ROOT);
    expect(first.stats.storageReopens).toBeGreaterThan(0);
    expect(second.trace).toEqual(first.trace);
    expect(second.history).toEqual(first.history);
  }, 60_000);

  it("leaves each member's log and hard state in its directory, as the converged cluster holds them", async () => {
    const dir = await mkdtemp(join(TEMP_ROOT, 'raft-sim-kept-'));
    try {
      const seed = 6;
      const sim = new Simulation({ ...diskOptions(seed), storageDir: dir });
      const result = await sim.runOnDisk();
      expect(result.stats.storageReopens).toBeGreaterThan(0);
      const members = sim.allNodes().filter((node) => node.state !== 'decommissioned');
      expect(members.length).toBeGreaterThanOrEqual(3);
      for (const node of members) {
        const storage = await LevelStorage.open(join(dir, node.id), {
          nodeId: node.id,
          clusterId: `sim-seed-${seed}`,
        });
        try {
          expect(storage.lastIndex()).toBe(node.applied);
          expect(storage.initialState().hardState).toEqual({
            term: node.term,
            vote: expect.any(String),
            commit: node.commit,
          });
          expect(storage.recovered).toBeUndefined();
        } finally {
          await storage.close();
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses to run a disk simulation synchronously, or a broken driver on disk', () => {
    expect(() => new Simulation({ seed: 1, storageDir: '/nonexistent' }).run()).toThrow(/use runOnDisk/);
    expect(
      () => new Simulation({ seed: 1, storageDir: '/nonexistent', unsafeSendBeforePersist: true }),
    ).toThrow(/not on disk/);
  });
});
