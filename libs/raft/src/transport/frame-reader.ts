import { FRAME_HEADER_BYTES } from './wire-frame.codec.js';

/** The peer announced a frame longer than allowed; nothing of that size was allocated. */
export class FrameTooLargeError extends Error {
  constructor(
    readonly length: number,
    readonly limit: number,
  ) {
    super(`frame length ${length} exceeds the limit of ${limit} bytes`);
    this.name = 'FrameTooLargeError';
  }
}

/**
 * Cuts a TCP byte stream into frame payloads, each in memory of its own (one copy per frame, never per message).
 * The length prefix is checked before any byte of the payload is buffered beyond what the socket already delivered,
 * and the payload is allocated only once all of it has arrived.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Length of the frame being assembled, once its header was read. */
  private pending = -1;

  constructor(public maxFrameBytes: number) {}

  /** Feeds bytes; calls onFrame for each complete payload. Throws FrameTooLargeError. */
  push(chunk: Buffer, onFrame: (payload: Buffer) => boolean): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.pending < 0) {
        if (this.buffered < FRAME_HEADER_BYTES) return;
        const length = this.readHeader();
        if (length > this.maxFrameBytes) throw new FrameTooLargeError(length, this.maxFrameBytes);
        this.pending = length;
      }
      if (this.buffered < this.pending) return;
      const payload = this.take(this.pending);
      this.pending = -1;
      // The consumer stops the loop when it closed the connection on this frame.
      if (!onFrame(payload)) return;
    }
  }

  private readHeader(): number {
    const first = this.chunks[0]!;
    if (first.length >= FRAME_HEADER_BYTES) {
      const length = first.readUInt32BE(0);
      this.consume(FRAME_HEADER_BYTES);
      return length;
    }
    const header = this.take(FRAME_HEADER_BYTES);
    return header.readUInt32BE(0);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (first !== undefined && first.length >= n) {
      // A copy, so the byte fields decoded from this frame (views into it) do not pin the whole socket chunk.
      const out = Buffer.allocUnsafe(n);
      first.copy(out, 0, 0, n);
      this.consume(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const part = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, part);
      filled += part;
      this.consume(part);
    }
    return out;
  }

  private consume(n: number): void {
    this.buffered -= n;
    while (n > 0) {
      const c = this.chunks[0]!;
      if (c.length <= n) {
        this.chunks.shift();
        n -= c.length;
      } else {
        this.chunks[0] = c.subarray(n);
        n = 0;
      }
    }
  }
}
