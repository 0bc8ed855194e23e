import { randomBytes } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

export type PutFn = (key: string, value: Uint8Array) => Promise<void>;

export interface LoadOptions {
  /** Concurrent closed-loop writers: each awaits its put before issuing the next. */
  clients: number;
  /** Measured window, after the warm-up. */
  durationMs: number;
  /** Writes run but are not counted, so connection set-up and JIT warm-up stay out of the numbers. */
  warmupMs: number;
  valueBytes: number;
  /** Keys cycle over this many names (default 10,000) so the store sees overwrites, as a real workload would. */
  keySpace?: number;
  put: PutFn;
}

export interface LoadResult {
  clients: number;
  /** Writes acknowledged inside the measured window (latencies are theirs). */
  writes: number;
  writesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Puts that rejected inside the measured window (not counted in writes or latencies). */
  errors: number;
  /** The first rejection's message, to tell a broken harness from a slow store. */
  firstError?: string;
  windowMs: number;
}

function checkPositiveInteger(name: string, value: number, allowZero = false): void {
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new Error(
      `runLoad: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${value}`,
    );
  }
}

/** Nearest-rank percentile of an ascending array; 0 for an empty one. */
export function percentile(sortedAscending: Float64Array, p: number): number {
  if (sortedAscending.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sortedAscending.length);
  return sortedAscending[Math.min(sortedAscending.length, Math.max(1, rank)) - 1] ?? 0;
}

/**
 * Runs `clients` closed-loop writers for warmupMs + durationMs and reports throughput and latency of the writes
 * that completed inside the measured window. Latency is per put, start to acknowledgement, from hrtime.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { clients, durationMs, warmupMs, valueBytes, put } = options;
  const keySpace = options.keySpace ?? 10_000;
  checkPositiveInteger('clients', clients);
  checkPositiveInteger('durationMs', durationMs);
  checkPositiveInteger('warmupMs', warmupMs, true);
  checkPositiveInteger('valueBytes', valueBytes, true);
  checkPositiveInteger('keySpace', keySpace);

  const value = randomBytes(valueBytes);
  const keyWidth = String(keySpace - 1).length;
  const keys = Array.from({ length: keySpace }, (_, i) => `bench/${String(i).padStart(keyWidth, '0')}`);

  let latenciesNs = new Float64Array(1 << 16);
  let writes = 0;
  let errors = 0;
  let firstError: string | undefined;
  let nextKey = 0;

  const startNs = process.hrtime.bigint();
  const windowStartNs = startNs + BigInt(warmupMs) * 1_000_000n;
  const windowEndNs = windowStartNs + BigInt(durationMs) * 1_000_000n;

  const record = (latencyNs: number): void => {
    if (writes === latenciesNs.length) {
      const grown = new Float64Array(latenciesNs.length * 2);
      grown.set(latenciesNs);
      latenciesNs = grown;
    }
    latenciesNs[writes++] = latencyNs;
  };

  const writer = async (): Promise<void> => {
    for (;;) {
      const sentNs = process.hrtime.bigint();
      if (sentNs >= windowEndNs) return;
      const key = keys[nextKey] as string;
      nextKey = (nextKey + 1) % keySpace;
      try {
        await put(key, value);
        const doneNs = process.hrtime.bigint();
        // Counting acknowledgements that land inside the window (whenever they were sent) is the unbiased rate of
        // a closed loop; also requiring the send inside it would drop ~`clients` writes at each edge.
        if (doneNs >= windowStartNs && doneNs <= windowEndNs) record(Number(doneNs - sentNs));
      } catch (err) {
        const doneNs = process.hrtime.bigint();
        if (doneNs >= windowStartNs && doneNs <= windowEndNs) {
          errors++;
          firstError ??= err instanceof Error ? err.message : String(err);
        }
        // A put that fails synchronously would otherwise spin this loop without ever letting I/O run.
        await yieldToEventLoop();
      }
    }
  };

  await Promise.all(Array.from({ length: clients }, () => writer()));

  const sorted = latenciesNs.subarray(0, writes).sort();
  const toMs = (ns: number): number => ns / 1e6;
  return {
    clients,
    writes,
    writesPerSec: writes / (durationMs / 1000),
    p50Ms: toMs(percentile(sorted, 50)),
    p99Ms: toMs(percentile(sorted, 99)),
    maxMs: toMs(sorted.length > 0 ? (sorted[sorted.length - 1] ?? 0) : 0),
    errors,
    ...(firstError !== undefined ? { firstError } : {}),
    windowMs: durationMs,
  };
}
