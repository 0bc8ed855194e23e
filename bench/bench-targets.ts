import type { BenchResult } from './bench-result.js';

/** One catalog-site configuration the contenders crawl. */
export interface Scenario {
  products: number;
  listPages: number;
  shape: 'wide' | 'chain';
  /** Every Nth product answers 503 on its first request; 0 = none. */
  failEvery: number;
}

export interface Measured {
  key: string;
  scenario: Scenario;
  result: BenchResult;
  /** For a run with failures: the clean run of the same contender made just before it. */
  pairedClean?: BenchResult;
}

const pps = (r: BenchResult): number => r.pages / (r.elapsedMs / 1000);

/**
 * The issue-12 targets, each as one line saying the measured value, the target and whether it is met. A target
 * whose rows were not run (filtered contenders or scenarios) is reported as not measured rather than left out.
 */
export function evaluateTargets(measured: readonly Measured[], baseProducts: number): string[] {
  const find = (key: string, shape: 'wide' | 'chain', products = baseProducts, failEvery = 0) =>
    measured.find(
      (m) =>
        m.key === key &&
        m.scenario.shape === shape &&
        m.scenario.products === products &&
        m.scenario.failEvery === failEvery,
    )?.result;
  const lines: string[] = [];
  const ratio = (
    label: string,
    a: BenchResult | undefined,
    b: BenchResult | undefined,
    min: number,
  ): void => {
    if (!a || !b) {
      lines.push(`${label} ≥ ${min}×: not measured`);
      return;
    }
    const x = pps(a) / pps(b);
    const byCpu = a.pages / a.cpuMs / (b.pages / b.cpuMs);
    lines.push(
      `${label} ≥ ${min}×: ${x.toFixed(2)}× — ${x >= min ? 'met' : 'NOT met'} ` +
        `(by CPU per page: ${byCpu.toFixed(2)}×)`,
    );
  };

  for (const shape of ['wide', 'chain'] as const) {
    ratio(`mocra axios / raw axios, ${shape}`, find('mocra-axios', shape), find('raw-axios', shape), 0.8);
  }
  ratio('mocra undici / raw axios, wide', find('mocra-undici', 'wide'), find('raw-axios', 'wide'), 2);
  ratio('mocra undici / raw undici, wide', find('mocra-undici', 'wide'), find('raw-undici', 'wide'), 0.6);
  for (const shape of ['wide', 'chain'] as const) {
    ratio(`mocra undici / Crawlee, ${shape}`, find('mocra-undici', shape), find('crawlee', shape), 10);
    ratio(`mocra axios / Crawlee, ${shape}`, find('mocra-axios', shape), find('crawlee', shape), 5);
  }
  for (const shape of ['wide', 'chain'] as const) {
    const r = find('mocra-axios', shape);
    const raw = find('raw-axios', shape);
    if (!r) {
      lines.push(`mocra axios CPU ≤ 0.6 ms/page, ${shape}: not measured`);
      continue;
    }
    const ms = r.cpuMs / r.pages;
    const rawNote = raw ? ` (the raw axios loop itself: ${(raw.cpuMs / raw.pages).toFixed(3)})` : '';
    lines.push(
      `mocra axios CPU ≤ 0.6 ms/page, ${shape}: ${ms.toFixed(3)}${rawNote} — ${ms <= 0.6 ? 'met' : 'NOT met'}`,
    );
  }
  const scales = [...new Set(measured.map((m) => m.scenario.products))].filter((n) => n > baseProducts);
  for (const n of scales) {
    for (const key of ['mocra-axios', 'mocra-undici']) {
      const big = find(key, 'wide', n);
      ratio(`${key} ${n} / ${baseProducts} products pages/s`, big, find(key, 'wide'), 0.9);
      if (big) {
        const rss = big.peakRssMb;
        lines.push(
          `${key} ${n} products peak RSS ≤ 300 MB: ${rss.toFixed(0)} MB — ${rss <= 300 ? 'met' : 'NOT met'}`,
        );
      }
    }
  }
  const failEvery = measured.find((m) => m.scenario.failEvery > 0)?.scenario.failEvery;
  if (failEvery !== undefined) {
    for (const key of ['mocra-axios', 'mocra-undici']) {
      const failingRow = measured.find(
        (m) =>
          m.key === key &&
          m.scenario.shape === 'wide' &&
          m.scenario.products === baseProducts &&
          m.scenario.failEvery === failEvery,
      );
      const failing = failingRow?.result;
      // The paired clean run when there is one: the wide row was measured minutes earlier, under other load.
      const clean = failingRow?.pairedClean ?? find(key, 'wide');
      if (failing && clean) {
        const same = failing.items === clean.items && failing.items === baseProducts;
        lines.push(
          `${key}, 1 in ${failEvery} products failing once: ${failing.items} items vs ${clean.items} without ` +
            `failures — ${same ? 'met' : 'NOT met'}`,
        );
      }
      ratio(`${key} pages/s with failures / without`, failing, clean, 0.8);
    }
    // Not a target: the rows above retry at once, like the raw loop; this one waits as the seed's policy says.
    const seed = measured.find(
      (m) => m.key === 'mocra-undici-seed-backoff' && m.scenario.failEvery === failEvery,
    );
    if (seed?.pairedClean) {
      const x = pps(seed.result) / pps(seed.pairedClean);
      lines.push(
        `(for reference) mocra undici with the seed's retry backoff (500 ms, doubling): ${seed.result.items} ` +
          `items, pages/s with failures / without ${x.toFixed(2)}×`,
      );
    }
  }
  return lines;
}
