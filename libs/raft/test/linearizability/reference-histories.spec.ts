import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkOperations,
  checkPartition,
  kvModel,
  parseJepsenEtcdLog,
  parseKvEdn,
  registerModel,
} from '../../src/linearizability/index.js';
import { HISTORIES_DIR, loadExpected, readHistory, witnessProblem } from './reference-histories.fixture.js';

const expected = loadExpected();
const etcd = Object.entries(expected['jepsen-etcd']);
const kv = Object.entries(expected.kv);

describe('reference histories', () => {
  it('every history named in expected.json exists', () => {
    for (const group of ['jepsen-etcd', 'kv'] as const) {
      const files = readdirSync(path.join(HISTORIES_DIR, group));
      expect(files).toEqual(expect.arrayContaining(Object.keys(expected[group])));
    }
    expect(etcd.length).toBeGreaterThan(0);
    expect(kv.length).toBeGreaterThan(0);
  });

  describe('jepsen etcd register', () => {
    it.each(etcd)('%s is linearizable: %s', (file, linearizable) => {
      const report = checkOperations(registerModel, parseJepsenEtcdLog(readHistory('jepsen-etcd', file)));
      expect(report.result).toBe(linearizable ? 'ok' : 'illegal');
      if (!linearizable) expect(report.info).toMatch(/longest linearizable prefix has \d+ of \d+ operations/);
    });

    it.each(etcd)('%s yields a witness that an independent replay accepts', (file, linearizable) => {
      const ops = parseJepsenEtcdLog(readHistory('jepsen-etcd', file));
      const outcome = checkPartition(registerModel, ops);
      if (outcome.kind === 'ok') {
        expect(witnessProblem(registerModel, ops, outcome.linearization)).toBeUndefined();
        const placed = new Set(outcome.linearization);
        const unplaced = ops.filter((o, i) => !placed.has(i) && o.return !== Number.POSITIVE_INFINITY);
        expect(unplaced).toEqual([]);
      } else if (outcome.kind === 'illegal') {
        expect(witnessProblem(registerModel, ops, outcome.longest)).toBeUndefined();
        expect(outcome.longest).not.toContain(outcome.blockedOp);
        expect(ops[outcome.blockedOp]?.return).toBeLessThan(Number.POSITIVE_INFINITY);
      }
      expect(outcome.kind).toBe(linearizable ? 'ok' : 'illegal');
    });
  });

  describe('key-value', () => {
    it.each(kv)('%s is linearizable: %s', (file, linearizable) => {
      const report = checkOperations(kvModel, parseKvEdn(readHistory('kv', file)));
      expect(report.result).toBe(linearizable ? 'ok' : 'illegal');
      if (!linearizable)
        expect(report.info).toMatch(/^partition \d+\/\d+ \(key "[^"]*"\) is not linearizable/);
    });

    it.each(kv.filter(([, linearizable]) => linearizable))(
      '%s: every key has a replayable witness',
      (file) => {
        const parts = kvModel.partition?.(parseKvEdn(readHistory('kv', file))) ?? [];
        expect(parts.length).toBeGreaterThan(1);
        for (const ops of parts) {
          const outcome = checkPartition(kvModel, ops);
          expect(outcome.kind).toBe('ok');
          if (outcome.kind === 'ok') {
            expect(witnessProblem(kvModel, ops, outcome.linearization)).toBeUndefined();
            expect(outcome.linearization).toHaveLength(ops.length);
          }
        }
      },
    );
  });
});
