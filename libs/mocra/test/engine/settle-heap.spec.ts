import 'reflect-metadata';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { runInNewContext } from 'node:vm';
import { Test } from '@nestjs/testing';
import { MocraModule } from '@mocra/core';
import { describe, expect, it } from 'vitest';
import { fullGc } from '../../src/common/full-gc.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

/** GCs forced by gc() (not by allocation) while `body` runs, as perf_hooks reports them. */
async function forcedGcsDuring(body: () => Promise<void>): Promise<number> {
  const entries: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  try {
    await body();
    await nextTurn();
  } finally {
    observer.disconnect();
  }
  const flagsOf = (e: PerformanceEntry): number =>
    (e as PerformanceEntry & { detail?: { flags?: number } }).detail?.flags ?? 0;
  return entries.filter((e) => (flagsOf(e) & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0).length;
}

describe('fullGc', () => {
  it('collects what is unreachable, and leaves no gc() behind for later contexts', async () => {
    const hadGc = typeof (globalThis as { gc?: unknown }).gc === 'function';
    let ref: WeakRef<object> | undefined;
    (() => {
      ref = new WeakRef({ payload: new Array(1000).fill(7) });
    })();
    // A WeakRef target stays alive until the end of the job that created or read it.
    await nextTurn();
    fullGc();
    await nextTurn();
    expect(ref!.deref()).toBeUndefined();
    expect(typeof (globalThis as { gc?: unknown }).gc === 'function').toBe(hadGc);
    if (!hadGc) expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});

describe('crawler.settle_heap', () => {
  const boot = async (settle: boolean): Promise<number> =>
    forcedGcsDuring(async () => {
      const ref = await Test.createTestingModule({
        imports: [MocraModule.forRoot({ config: { name: 'settle', crawler: { settle_heap: settle } } })],
      }).compile();
      const app = await ref.init();
      await app.close();
    });

  it('forces one full GC at bootstrap by default, and none when turned off', async () => {
    expect(await boot(true)).toBe(1);
    expect(await boot(false)).toBe(0);
  });
});
