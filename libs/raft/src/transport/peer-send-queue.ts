import type { Message } from '../core/types.js';

/**
 * Messages waiting for one peer, bounded by count and bytes. When full the OLDEST messages go: Raft tolerates loss,
 * and the newest messages carry the most recent term, commit index and log position.
 */
export class PeerSendQueue {
  private messages: Message[] = [];
  private sizes: number[] = [];
  private head = 0;
  private queuedBytes = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {}

  get length(): number {
    return this.messages.length - this.head;
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  /** Queues a message; returns what had to be dropped to make room (possibly the message itself). */
  push(message: Message, size: number): Message[] {
    if (size > this.maxBytes) return [message];
    let dropped: Message[] | undefined;
    while (this.length > 0 && (this.length >= this.maxMessages || this.queuedBytes + size > this.maxBytes)) {
      (dropped ??= []).push(this.shift());
    }
    this.messages.push(message);
    this.sizes.push(size);
    this.queuedBytes += size;
    if (dropped) this.compact();
    return dropped ?? [];
  }

  /** Takes messages from the front up to about maxBytes (always at least one while any is queued). */
  takeBatch(maxBytes: number): Message[] {
    const batch: Message[] = [];
    let bytes = 0;
    while (this.length > 0) {
      const size = this.sizes[this.head]!;
      if (batch.length > 0 && bytes + size > maxBytes) break;
      bytes += size;
      batch.push(this.shift());
    }
    this.compact();
    return batch;
  }

  /** Removes and returns every queued message that matches. */
  removeWhere(match: (m: Message) => boolean): Message[] {
    const removed: Message[] = [];
    const keep: Message[] = [];
    const keepSizes: number[] = [];
    for (let i = this.head; i < this.messages.length; i++) {
      const m = this.messages[i]!;
      if (match(m)) {
        removed.push(m);
        this.queuedBytes -= this.sizes[i]!;
      } else {
        keep.push(m);
        keepSizes.push(this.sizes[i]!);
      }
    }
    this.messages = keep;
    this.sizes = keepSizes;
    this.head = 0;
    return removed;
  }

  clear(): Message[] {
    return this.removeWhere(() => true);
  }

  private shift(): Message {
    const m = this.messages[this.head]!;
    this.queuedBytes -= this.sizes[this.head]!;
    // Release the reference so a dropped snapshot chunk can be collected.
    (this.messages as (Message | undefined)[])[this.head] = undefined;
    this.head++;
    return m;
  }

  private compact(): void {
    if (this.head === 0) return;
    if (this.head === this.messages.length) {
      this.messages = [];
      this.sizes = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.messages.length) {
      this.messages = this.messages.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }
}
