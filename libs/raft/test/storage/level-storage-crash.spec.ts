import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LevelStorage } from '../../src/index.js';
import { crashEntryData } from './support/crash-entry-data.js';
import { compileRaftChild, type CompiledRaftChild } from './support/raft-child-process.js';

const ident = { nodeId: 'n1', clusterId: 'crash-test' };
/** Acknowledged persists to wait for before the kill; the kill lands while more are in flight. */
const ACKS_BEFORE_KILL = 150;
const CYCLES = 3;

interface Ack {
  last: number;
  term: number;
  commit: number;
}

let child: CompiledRaftChild | undefined;
let root: string;
beforeAll(async () => {
  child = await compileRaftChild(fileURLToPath(new URL('./support/persist-loop.child.ts', import.meta.url)));
  root = await mkdtemp(join(tmpdir(), 'level-storage-crash-'));
});
afterAll(async () => {
  await child?.remove();
  if (root) await rm(root, { recursive: true, force: true });
});

/** Runs the child until it acknowledged `count` more persists, SIGKILLs it, and returns every ack it printed. */
function runAndKill(dir: string, count: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child!.mainPath, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acks: Ack[] = [];
    let buffered = '';
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [word, last, term, commit] = line.split(' ');
        if (word !== 'ack') continue;
        acks.push({ last: Number(last), term: Number(term), commit: Number(commit) });
        if (acks.length === count) proc.kill('SIGKILL');
      }
    });
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acks);
      else reject(new Error(`crash child exited with ${code} before the kill: ${stderr}`));
    });
  });
}

describe('LevelStorage under kill -9', () => {
  it('keeps every acknowledged persist and a consistent log after the writer is killed mid-write', async () => {
    const dir = join(root, 'db');
    let previousLast = 0;
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const acks = await runAndKill(dir, ACKS_BEFORE_KILL);
      const acked = acks[acks.length - 1]!;
      const storage = await LevelStorage.open(dir, ident);
      try {
        const { hardState } = storage.initialState();
        const last = storage.lastIndex();
        // every persist resolved before the kill is on disk (a later, unacknowledged one may be too)
        expect(last).toBeGreaterThanOrEqual(acked.last);
        expect(storage.term(acked.last)).toBeGreaterThanOrEqual(acked.term);
        expect(hardState.commit).toBeGreaterThanOrEqual(acked.commit);
        expect(hardState.term).toBeGreaterThanOrEqual(acked.term);
        expect(last).toBeGreaterThanOrEqual(hardState.commit);
        // and what is there is one state the writer produced: each entry is the one written at its index and
        // term, terms never go down, and the batches landed whole (no cut at open was needed)
        expect(storage.recovered).toBeUndefined();
        let prevTerm = 0;
        for (const entry of storage.entries(1, last + 1)) {
          expect(entry.data).toEqual(crashEntryData(entry.index, entry.term));
          expect(entry.term).toBeGreaterThanOrEqual(prevTerm);
          prevTerm = entry.term;
        }
        expect(hardState.term).toBe(prevTerm);
        expect(last).toBeGreaterThan(previousLast);
        previousLast = last;
      } finally {
        await storage.close();
      }
    }
  }, 60_000);
});
