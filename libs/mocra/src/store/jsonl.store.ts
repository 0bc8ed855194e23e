import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  type WriteStream,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Provider } from '@nestjs/common';
import { StoreMiddleware } from '../decorators/middleware.decorators.js';
import type { DataItem, StoreMiddlewareHandler } from '../middleware/middleware.interfaces.js';
import { SeenSet } from '../request/seen-set.js';

const RESOLVED = Promise.resolve();

export interface JsonlStoreOptions {
  /** Output file; parent folders are created. */
  path: string;
  /** Truncate instead of append at start. Default false. */
  truncate?: boolean;
}

/**
 * Built-in store "jsonl": one JSON object per line,
 * `{ module, runId, requestId, itemIndex, url, nodeKey, emittedAtMs, data }`.
 *
 * Idempotent: an item whose (requestId, itemIndex) is already in the file is skipped, so work redelivered after a
 * crash does not duplicate lines. Keys already in the file are read once, at the first write.
 */
@StoreMiddleware({ name: 'jsonl' })
export class JsonlStore implements StoreMiddlewareHandler {
  private stream: WriteStream | undefined = undefined;
  private opening: Promise<WriteStream> | undefined = undefined;
  // 8 bytes per stored item instead of a key string: a 100k-item crawl kept 10 MB of keys live, and V8 lets the
  // heap grow to several times its live size before a full GC. Keyed by a 64-bit hash of (requestId, itemIndex):
  // two different items collide with probability ~3e-8 among a million (the request dedup makes the same trade).
  private readonly keys = new SeenSet();
  private written = 0;
  private skipped = 0;
  private pending: string[] = [];
  private pendingWrite: Promise<void> | undefined = undefined;
  readonly path: string;

  constructor(private readonly options: JsonlStoreOptions) {
    this.path = resolve(options.path);
  }

  /** A provider for `providers: [...]`; the store is then available to modules as "jsonl". */
  static provider(options: JsonlStoreOptions): Provider {
    return { provide: JsonlStore, useFactory: () => new JsonlStore(options) };
  }

  /** Lines written by this instance. */
  get count(): number {
    return this.written;
  }

  /** Items skipped because the file already held them. */
  get duplicatesSkipped(): number {
    return this.skipped;
  }

  // Not async: once the file is open an item costs no promise of its own, only its share of the batch's write.
  store(item: DataItem): Promise<void> {
    const stream = this.stream;
    if (stream === undefined) return this.open().then(() => this.store(item));
    let line: string;
    try {
      line = JSON.stringify({
        module: item.module,
        runId: item.runId,
        requestId: item.requestId,
        itemIndex: item.itemIndex,
        url: item.url,
        nodeKey: item.nodeKey,
        emittedAtMs: item.emittedAtMs,
        data: item.data,
      });
    } catch (err) {
      // A cycle or a BigInt in the data: rejected like any store failure, never thrown at the caller.
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    // Keyed only once encoded: an item that failed is not taken for a duplicate when it is tried again.
    if (!this.keys.addText(item.requestId, item.itemIndex)) {
      this.skipped++;
      return RESOLVED;
    }
    this.written++;
    return this.append(stream, line + '\n');
  }

  /**
   * Resolves once the line is handed to the OS, so the message that produced it is acknowledged only after its
   * item would survive a kill -9. Lines stored in the same event-loop turn share one write.
   */
  private append(stream: WriteStream, text: string): Promise<void> {
    this.pending.push(text);
    this.pendingWrite ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        const chunk = this.pending.join('');
        this.pending = [];
        this.pendingWrite = undefined;
        stream.write(chunk, (err) => (err ? reject(err) : resolve()));
      });
    });
    return this.pendingWrite;
  }

  async flush(): Promise<void> {
    await this.pendingWrite;
    const stream = this.stream;
    if (!stream) return;
    // An empty write's callback fires once every earlier write has been handed to the OS.
    return new Promise((res, rej) => stream.write('', (err) => (err ? rej(err) : res())));
  }

  async close(): Promise<void> {
    await this.pendingWrite;
    const stream = this.stream;
    if (!stream) return;
    this.stream = undefined;
    this.opening = undefined;
    await new Promise<void>((res, rej) => stream.end((err?: Error | null) => (err ? rej(err) : res())));
  }

  private open(): Promise<WriteStream> {
    this.opening ??= (async () => {
      mkdirSync(dirname(this.path), { recursive: true });
      if (!this.options.truncate && existsSync(this.path)) await this.loadKeys();
      const stream = createWriteStream(this.path, { flags: this.options.truncate ? 'w' : 'a' });
      // A process killed mid-line leaves a torn last line; start on a fresh line so the next item stays whole.
      if (!this.options.truncate && endsWithoutNewline(this.path)) stream.write('\n');
      this.stream = stream;
      return stream;
    })();
    return this.opening;
  }

  private async loadKeys(): Promise<void> {
    const lines = createInterface({ input: createReadStream(this.path), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line) continue;
      try {
        const parsed = JSON.parse(line) as { requestId?: unknown; itemIndex?: unknown };
        if (typeof parsed.requestId === 'string')
          this.keys.addText(parsed.requestId, Number(parsed.itemIndex ?? 0));
      } catch {
        // A torn last line from a killed process: the item it held is written again when redelivered.
      }
    }
  }
}

function endsWithoutNewline(path: string): boolean {
  if (!existsSync(path)) return false;
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    closeSync(fd);
  }
}
