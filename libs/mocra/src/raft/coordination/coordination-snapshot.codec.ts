import { CoordinationDecodeError } from './coordination.errors.js';
import { MAX_TIME_MS } from './coordination.limits.js';
import { packCoordination, unpackCoordination } from './coordination.msgpack.js';
import { CoordinationState } from './coordination-state.js';
import { FieldReader } from './field-reader.js';

/** Bumped when the snapshot layout changes; restore refuses layouts it does not know. */
export const COORDINATION_SNAPSHOT_VERSION = 1;

/**
 * Snapshot bytes: one MessagePack map with fields in a fixed order, each table as rows sorted by key. Equal states
 * give equal bytes on every replica, whatever history built them.
 */
export function encodeCoordinationSnapshot(state: CoordinationState): Uint8Array {
  return packCoordination({
    v: COORDINATION_SNAPSHOT_VERSION,
    clock: state.clock,
    fencing: state.locks.fencingCounter,
    cache: state.cache.snapshotRows(),
    locks: state.locks.snapshotRows(),
    buckets: state.buckets.snapshotRows(),
    status: state.status.snapshotRows(),
    config: state.config.snapshotRows(),
    pause: state.pause.snapshotRow(),
    nodes: state.nodes.snapshotRows(),
    cron: state.cron.snapshotRows(),
  });
}

/** Validates every field into a new state; the caller swaps it in only when the whole snapshot was good. */
export function decodeCoordinationSnapshot(bytes: Uint8Array): CoordinationState {
  const r = FieldReader.of(unpackCoordination(bytes, 'snapshot'), 'snapshot');
  const version = r.field('v').int(0, Number.MAX_SAFE_INTEGER);
  if (version !== COORDINATION_SNAPSHOT_VERSION) {
    throw new CoordinationDecodeError(
      'snapshot.v',
      `version ${version} is not supported (this replica reads ${COORDINATION_SNAPSHOT_VERSION})`,
    );
  }
  const state = new CoordinationState();
  state.clock = r.field('clock').int(0, MAX_TIME_MS);
  state.locks.restore(r.field('fencing'), r.field('locks'));
  state.cache.restoreRows(r.field('cache'));
  state.buckets.restoreRows(r.field('buckets'));
  state.status.restoreRows(r.field('status'));
  state.config.restoreRows(r.field('config'));
  state.pause.restoreRow(r.field('pause'));
  state.nodes.restoreRows(r.field('nodes'));
  state.cron.restoreRows(r.field('cron'));
  r.end();
  return state;
}
