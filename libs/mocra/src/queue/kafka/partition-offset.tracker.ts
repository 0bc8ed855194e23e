import { ChunkedFifo } from '../local/chunked-fifo.js';

/** One admitted record of a partition; `done` once acked (or handed on by a retry or dead letter). */
export interface TrackedOffset {
  readonly offset: number;
  done: boolean;
}

/**
 * What may be committed for one partition: records are admitted in offset order and acked in any order, and the
 * commit point is the lowest record not yet done (or the one after the last admitted when all are done). A crash
 * therefore replays at most the records at or after an un-acked one, never skips one.
 */
export class PartitionOffsetTracker {
  private readonly admitted = new ChunkedFifo<TrackedOffset>();
  /** Next offset this process expects; lower ones (refetched after a rebalance) are duplicates. */
  next: number;
  /** Last commit point sent to the broker. */
  committed: number;

  constructor(
    readonly topic: string,
    readonly partition: number,
    startOffset: number,
  ) {
    this.next = startOffset;
    this.committed = startOffset;
  }

  admit(offset: number): TrackedOffset {
    const entry: TrackedOffset = { offset, done: false };
    this.admitted.push(entry);
    this.next = offset + 1;
    return entry;
  }

  /** Marks `entry` done and returns whether the commit point moved. */
  complete(entry: TrackedOffset): boolean {
    entry.done = true;
    let moved = false;
    while (this.admitted.peek()?.done === true) {
      this.admitted.shift();
      moved = true;
    }
    return moved;
  }

  /** Offset to commit: Kafka's committed offset is the next record to read. */
  commitPoint(): number {
    return this.admitted.peek()?.offset ?? this.next;
  }

  get outstanding(): number {
    return this.admitted.size;
  }
}
