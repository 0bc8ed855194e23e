import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Provider } from '@nestjs/common';
import { StoreMiddleware } from '../decorators/middleware.decorators.js';
import type { DataItem, StoreMiddlewareHandler } from '../middleware/middleware.interfaces.js';

export interface JsonlStoreOptions {
  /** Output file; parent folders are created. */
  path: string;
  /** Truncate instead of append at start. Default false. */
  truncate?: boolean;
}

/**
 * Built-in store "jsonl": one JSON object per line, `{ module, runId, requestId, url, nodeKey, emittedAtMs, data }`.
 * Writes are buffered by the stream; `flush()` resolves once everything written so far is on disk.
 */
@StoreMiddleware({ name: 'jsonl' })
export class JsonlStore implements StoreMiddlewareHandler {
  private stream: WriteStream | undefined;
  private written = 0;
  readonly path: string;

  constructor(private readonly options: JsonlStoreOptions) {
    this.path = resolve(options.path);
  }

  /** A provider for `providers: [...]`; the store is then available to modules as "jsonl". */
  static provider(options: JsonlStoreOptions): Provider {
    return { provide: JsonlStore, useFactory: () => new JsonlStore(options) };
  }

  get count(): number {
    return this.written;
  }

  store(item: DataItem): void {
    const line = JSON.stringify({
      module: item.module,
      runId: item.runId,
      requestId: item.requestId,
      url: item.url,
      nodeKey: item.nodeKey,
      emittedAtMs: item.emittedAtMs,
      data: item.data,
    });
    this.open().write(line + '\n');
    this.written++;
  }

  flush(): Promise<void> {
    const stream = this.stream;
    if (!stream) return Promise.resolve();
    // An empty write's callback fires once every earlier write has been handed to the OS.
    return new Promise((res, rej) => stream.write('', (err) => (err ? rej(err) : res())));
  }

  async close(): Promise<void> {
    const stream = this.stream;
    if (!stream) return;
    this.stream = undefined;
    await new Promise<void>((res, rej) => stream.end((err?: Error | null) => (err ? rej(err) : res())));
  }

  private open(): WriteStream {
    if (!this.stream) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.stream = createWriteStream(this.path, { flags: this.options.truncate ? 'w' : 'a' });
    }
    return this.stream;
  }
}
