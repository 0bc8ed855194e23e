import type { PauseState } from './coordination.commands.js';
import { MAX_NAME_BYTES, MAX_TEXT_BYTES, MAX_TIME_MS } from './coordination.limits.js';
import type { FieldValue } from './field-reader.js';

/** The cluster-wide pause switch, with who flipped it and when (replicated clock). */
export class PauseFlag {
  private state: PauseState = { paused: false, by: '', at: 0 };

  get(): PauseState {
    return { ...this.state };
  }

  set(paused: boolean, by: string, reason: string | undefined, now: number): PauseState {
    this.state = reason === undefined ? { paused, by, at: now } : { paused, by, at: now, reason };
    return this.get();
  }

  snapshotRow(): unknown[] {
    return [this.state.paused, this.state.by, this.state.at, this.state.reason ?? null];
  }

  restoreRow(row: FieldValue): void {
    const [paused, by, at, reason] = row.tuple(4);
    const state: PauseState = {
      paused: paused!.bool(),
      by: by!.string(MAX_NAME_BYTES),
      at: at!.int(0, MAX_TIME_MS),
    };
    if (!reason!.isNil()) state.reason = reason!.string(MAX_TEXT_BYTES);
    this.state = state;
  }
}
