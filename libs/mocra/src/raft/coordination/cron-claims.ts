import type { CronClaim } from './coordination.commands.js';
import { MAX_NAME_BYTES, MAX_TIME_MS } from './coordination.limits.js';
import type { FieldValue } from './field-reader.js';
import { readSortedRows, sortedRows } from './snapshot-rows.js';

interface Fired {
  fireTime: number;
  nodeId: string;
  claimedAt: number;
}

/**
 * The last fire time claimed per cron schedule. A claim succeeds only for a fire time later than the last one,
 * so each (schedule, fire time) fires once in the cluster even when two nodes briefly both believe they lead,
 * and a new leader cannot fire a time its predecessor already fired.
 */
export class CronClaims {
  private readonly schedules = new Map<string, Fired>();

  get size(): number {
    return this.schedules.size;
  }

  claim(schedule: string, fireTime: number, nodeId: string, now: number): CronClaim {
    const last = this.schedules.get(schedule);
    if (last !== undefined && fireTime <= last.fireTime) {
      return { claimed: false, lastFireTime: last.fireTime, nodeId: last.nodeId };
    }
    this.schedules.set(schedule, { fireTime, nodeId, claimedAt: now });
    return { claimed: true, lastFireTime: fireTime, nodeId };
  }

  last(schedule: string): { fireTime: number; nodeId: string; claimedAt: number } | undefined {
    const fired = this.schedules.get(schedule);
    return fired === undefined ? undefined : { ...fired };
  }

  snapshotRows(): unknown[] {
    return sortedRows(this.schedules, (s, f) => [s, f.fireTime, f.nodeId, f.claimedAt]);
  }

  restoreRows(table: FieldValue): void {
    for (const { key, cells } of readSortedRows(table, 4, MAX_NAME_BYTES)) {
      this.schedules.set(key, {
        fireTime: cells[0]!.int(0, MAX_TIME_MS),
        nodeId: cells[1]!.string(MAX_NAME_BYTES, 1),
        claimedAt: cells[2]!.int(0, MAX_TIME_MS),
      });
    }
  }
}
