import type { Socket } from 'node:net';
import { FrameReader, FrameTooLargeError } from './frame-reader.js';
import { WireDecodeError } from './wire-decode.error.js';
import { decodeFrame, type Frame } from './wire-frame.codec.js';

/** Before the handshake a stranger may only send a handshake, so it cannot make us buffer large frames. */
export const HANDSHAKE_MAX_FRAME_BYTES = 4096;

export interface FramedSocketEvents {
  /** A valid frame. Return false after closing the socket so no later frame of the same chunk is handled. */
  onFrame(frame: Frame): boolean;
  /** Bytes that are not a valid frame; the socket is already being destroyed. */
  onBadFrame(reason: string, oversized: boolean): void;
  /** Called once, whatever ended the connection. */
  onClose(reason: string): void;
}

/** A socket that speaks length-prefixed msgpack frames. Never throws out of its event handlers. */
export class FramedSocket {
  private readonly reader = new FrameReader(HANDSHAKE_MAX_FRAME_BYTES);
  private closed = false;
  private closeReason = 'closed by peer';

  constructor(
    readonly socket: Socket,
    private readonly events: FramedSocketEvents,
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e: Error) => {
      this.closeReason = e.message;
    });
    socket.on('close', () => this.finish());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Called once the handshake is accepted: from now on frames up to the configured size are allowed. */
  allowFramesUpTo(maxFrameBytes: number): void {
    this.reader.maxFrameBytes = maxFrameBytes;
  }

  /** False when the socket buffers more than its high-water mark: wait for 'drain' before writing more. */
  write(frame: Uint8Array, done?: (error?: Error | null) => void): boolean {
    if (this.closed || this.socket.destroyed) {
      if (done) queueMicrotask(() => done(new Error('connection closed')));
      return false;
    }
    return this.socket.write(frame, done);
  }

  /** Sends a last frame, then closes; the destroy is forced in case the peer never reads. */
  endWith(frame: Uint8Array, reason: string): void {
    if (this.closed) return;
    this.closeReason = reason;
    // Whatever the peer sent after the frame we refused is not read.
    this.socket.removeAllListeners('data');
    this.socket.resume();
    this.socket.end(frame);
    const timer = setTimeout(() => this.socket.destroy(), 1000);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  destroy(reason: string): void {
    if (this.closed) return;
    this.closeReason = reason;
    this.socket.destroy();
    this.finish();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    try {
      this.reader.push(chunk, (payload) => {
        let frame: Frame;
        try {
          frame = decodeFrame(payload);
        } catch (e) {
          this.reject(e instanceof WireDecodeError ? e.message : `decode failed: ${String(e)}`, false);
          return false;
        }
        return this.events.onFrame(frame) && !this.closed;
      });
    } catch (e) {
      if (e instanceof FrameTooLargeError) this.reject(e.message, true);
      else this.reject(`frame handling failed: ${e instanceof Error ? e.message : String(e)}`, false);
    }
  }

  private reject(reason: string, oversized: boolean): void {
    if (this.closed) return;
    this.events.onBadFrame(reason, oversized);
    this.destroy(`bad frame: ${reason}`);
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    // Later 'data' events of a destroyed socket must not reach the reader.
    this.socket.removeAllListeners('data');
    this.socket.on('error', () => {});
    this.events.onClose(this.closeReason);
  }
}
