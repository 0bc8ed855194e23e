import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import {
  CrawlerModule,
  MocraModule,
  MocraService,
  Node,
  ParseOutput,
  Request,
  type CrawlerNode,
} from '@mocra/core';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOCRA_METRIC } from '../../src/metrics/index.js';
import { startSite, type Site } from './coordinator-fixtures.js';

let site: Site;

function sixPages(prefix: string): Request[] {
  return Array.from({ length: 6 }, (_, i) => Request.get(`${site.base}/${prefix}/${i}`));
}

@Node('pages')
class LimitedPages implements CrawlerNode {
  generate = (): Request[] => sixPages('limited');
  parse = (): ParseOutput => new ParseOutput();
}
@CrawlerModule({ name: 'limited', nodes: [LimitedPages], rateLimit: 20 })
class Limited {}

@Node('pages')
class FreePages implements CrawlerNode {
  generate = (): Request[] => sixPages('free');
  parse = (): ParseOutput => new ParseOutput();
}
@CrawlerModule({ name: 'free', nodes: [FreePages] })
class Free {}

/** The value of a counter series as /metrics would expose it (same prom-client registry). */
async function counter(name: string, module: string): Promise<number | undefined> {
  const metric = register.getSingleMetric(name);
  if (metric === undefined) throw new Error(`metric ${name} is not registered`);
  const { values } = await metric.get();
  return values.find((v) => v.labels['module'] === module && v.labels['node_id'] === 'metrics-node')?.value;
}

describe('mocra_rate_limit_wait metrics from a real crawl', () => {
  let mocra: MocraService;
  let close: () => Promise<void>;

  beforeAll(async () => {
    site = await startSite((_req, res) => res.end('ok'));
    const ref = await Test.createTestingModule({
      imports: [
        MocraModule.forRoot({
          config: { name: 'rate-wait-metrics', crawler: { node_id: 'metrics-node' } },
        }),
      ],
      providers: [Limited, LimitedPages, Free, FreePages],
    }).compile();
    const app = await ref.init();
    mocra = app.get(MocraService);
    close = () => app.close();
  });

  afterAll(async () => {
    await close?.();
    await site?.close();
  });

  it('counts downloads that waited for the rate limit and the seconds they waited, per module', async () => {
    const started = performance.now();
    await (
      await mocra.dispatch({ module: ['limited'] })
    ).finished;
    const elapsedSecs = (performance.now() - started) / 1000;
    await (
      await mocra.dispatch({ module: ['free'] })
    ).finished;
    expect(site.arrivals).toHaveLength(12);

    // 6 requests queued together at 20 req/s: only the first finds a free slot (a starved engine may hand some
    // over after their slot came due, so at most 5 waits), and the sends span at least 5 intervals.
    const waits = await counter(MOCRA_METRIC.rateLimitWaits, 'limited');
    const waited = await counter(MOCRA_METRIC.rateLimitWaitSeconds, 'limited');
    expect(waits).toBeGreaterThanOrEqual(1);
    expect(waits).toBeLessThanOrEqual(5);
    expect(waited).toBeGreaterThan(0);
    // Waits overlap in time, but none can be longer than the run.
    expect(waited).toBeLessThanOrEqual(waits! * elapsedSecs);

    // A module without a limit never waits: no series at all, or zero.
    expect((await counter(MOCRA_METRIC.rateLimitWaits, 'free')) ?? 0).toBe(0);
    expect((await counter(MOCRA_METRIC.rateLimitWaitSeconds, 'free')) ?? 0).toBe(0);

    const text = await register.metrics();
    expect(text).toContain(`mocra_rate_limit_waits_total{node_id="metrics-node",module="limited"} ${waits}`);
  });
});
