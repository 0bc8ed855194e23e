import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { register, type Counter, type Histogram } from 'prom-client';
import type { MocraConfig } from '../config/mocra-config.js';
import { MOCRA_CONFIG } from '../mocra.tokens.js';
import type { Route } from '../queue/envelope.js';
import { MOCRA_METRIC } from './metric-names.js';
import type { StatusClass } from './status-class.js';

type CounterChild = Counter.Internal;
type HistogramChild = Histogram.Internal<string>;

/**
 * Increments of one label child, summed in a plain number and handed to prom-client when a scrape collects. A
 * prom-client child's inc() hashes its label values on every call; the per-page counters made that 2.6% of a crawl's
 * CPU.
 */
class Tally {
  private pending = 0;

  constructor(private readonly child: CounterChild) {}

  inc(by = 1): void {
    this.pending += by;
  }

  flush(): void {
    if (this.pending === 0) return;
    this.child.inc(this.pending);
    this.pending = 0;
  }
}

/** Label children of one module, created on first use and reused: an event costs a map lookup, no allocation. */
interface ModuleChildren {
  requests: Tally;
  bytes: Tally;
  itemsEmitted: Tally;
  runsStarted: CounterChild;
  runsFinished: CounterChild;
  rateLimitWaits: CounterChild;
  rateLimitWaitSeconds: CounterChild;
  responses: Map<StatusClass, Tally>;
  durations: Map<StatusClass, HistogramChild>;
  itemsStored: Map<string, Tally>;
  parserErrors: Map<string, CounterChild>;
  retries: Map<Route, CounterChild>;
  deadLettered: Map<Route, CounterChild>;
}

/**
 * What the engine reports to Prometheus. Every method is safe on the hot path: label children are bound once per
 * module (and status class, store, node or route) and cached.
 */
@Injectable()
export class MocraMetrics implements OnModuleDestroy {
  private readonly nodeId: string;
  private readonly modules = new Map<string, ModuleChildren>();
  private readonly tallies: Tally[] = [];

  constructor(
    @Inject(MOCRA_CONFIG) config: MocraConfig,
    @InjectMetric(MOCRA_METRIC.requests) private readonly requests: Counter,
    @InjectMetric(MOCRA_METRIC.responses) private readonly responses: Counter,
    @InjectMetric(MOCRA_METRIC.downloadDuration) private readonly downloadDuration: Histogram,
    @InjectMetric(MOCRA_METRIC.responseBytes) private readonly responseBytes: Counter,
    @InjectMetric(MOCRA_METRIC.itemsEmitted) private readonly itemsEmittedTotal: Counter,
    @InjectMetric(MOCRA_METRIC.itemsStored) private readonly itemsStoredTotal: Counter,
    @InjectMetric(MOCRA_METRIC.parserErrors) private readonly parserErrors: Counter,
    @InjectMetric(MOCRA_METRIC.retries) private readonly retries: Counter,
    @InjectMetric(MOCRA_METRIC.deadLettered) private readonly deadLetters: Counter,
    @InjectMetric(MOCRA_METRIC.runsStarted) private readonly runsStarted: Counter,
    @InjectMetric(MOCRA_METRIC.runsFinished) private readonly runsFinished: Counter,
    @InjectMetric(MOCRA_METRIC.rateLimitWaits) private readonly rateLimitWaits: Counter,
    @InjectMetric(MOCRA_METRIC.rateLimitWaitSeconds) private readonly rateLimitWaitSeconds: Counter,
  ) {
    this.nodeId = config.crawler.node_id;
    // prom-client calls a metric's collect() before every read (a scrape, get(), the registry's JSON).
    const flush = (): void => {
      for (const tally of this.tallies) tally.flush();
    };
    for (const counter of [requests, responses, responseBytes, itemsEmittedTotal, itemsStoredTotal]) {
      (counter as unknown as { collect?: () => void }).collect = flush;
    }
  }

  /** A download is about to be sent (after the rate limiter and the concurrency slot). */
  requestStarted(module: string): void {
    this.of(module).requests.inc();
  }

  /** A download ended: `statusClass` from `statusClassOf(status)`, `error` when no response came back. */
  responseReceived(module: string, statusClass: StatusClass, latencyMs: number, bytes: number): void {
    const m = this.of(module);
    this.tallyOf(m.responses, this.responses, module, statusClass).inc();
    let duration = m.durations.get(statusClass);
    if (!duration) {
      duration = this.downloadDuration.labels(this.nodeId, module, statusClass);
      m.durations.set(statusClass, duration);
    }
    duration.observe(latencyMs / 1000);
    if (bytes > 0) m.bytes.inc(bytes);
  }

  itemEmitted(module: string): void {
    this.of(module).itemsEmitted.inc();
  }

  /** An item went through store middleware `store` (its name as registered). */
  itemStored(module: string, store: string): void {
    this.tallyOf(this.of(module).itemsStored, this.itemsStoredTotal, module, store).inc();
  }

  /** parse() of DAG node `node` failed. */
  parserError(module: string, node: string): void {
    this.child(this.of(module).parserErrors, this.parserErrors, module, node).inc();
  }

  /** A failed message of `route` was scheduled for another attempt. */
  retry(module: string, route: Route): void {
    this.child(this.of(module).retries, this.retries, module, route).inc();
  }

  /** A failed message of `route` was moved to the dead-letter queue. */
  deadLettered(module: string, route: Route): void {
    this.child(this.of(module).deadLettered, this.deadLetters, module, route).inc();
  }

  runStarted(module: string): void {
    this.of(module).runsStarted.inc();
  }

  runFinished(module: string): void {
    this.of(module).runsFinished.inc();
  }

  /** A download of `module` waited `ms` for a rate limit: its module's, group's or host's (only when it did wait). */
  rateLimitWait(module: string, ms: number): void {
    const m = this.of(module);
    m.rateLimitWaits.inc();
    if (ms > 0) m.rateLimitWaitSeconds.inc(ms / 1000);
  }

  /**
   * Unregisters every mocra metric from prom-client's global registry, so an app created later in the same process
   * (tests, a restart in place) registers fresh metrics bound to its own providers instead of reusing these.
   */
  onModuleDestroy(): void {
    for (const name of Object.values(MOCRA_METRIC)) register.removeSingleMetric(name);
  }

  private of(module: string): ModuleChildren {
    let m = this.modules.get(module);
    if (!m) {
      const node = this.nodeId;
      m = {
        requests: this.tally(this.requests.labels(node, module)),
        bytes: this.tally(this.responseBytes.labels(node, module)),
        itemsEmitted: this.tally(this.itemsEmittedTotal.labels(node, module)),
        runsStarted: this.runsStarted.labels(node, module),
        runsFinished: this.runsFinished.labels(node, module),
        rateLimitWaits: this.rateLimitWaits.labels(node, module),
        rateLimitWaitSeconds: this.rateLimitWaitSeconds.labels(node, module),
        responses: new Map(),
        durations: new Map(),
        itemsStored: new Map(),
        parserErrors: new Map(),
        retries: new Map(),
        deadLettered: new Map(),
      };
      this.modules.set(module, m);
    }
    return m;
  }

  private tally(child: CounterChild): Tally {
    const tally = new Tally(child);
    this.tallies.push(tally);
    return tally;
  }

  private tallyOf<K extends string>(cache: Map<K, Tally>, metric: Counter, module: string, key: K): Tally {
    let t = cache.get(key);
    if (!t) {
      t = this.tally(metric.labels(this.nodeId, module, key));
      cache.set(key, t);
    }
    return t;
  }

  private child<K extends string>(
    cache: Map<K, CounterChild>,
    metric: Counter,
    module: string,
    key: K,
  ): CounterChild {
    let c = cache.get(key);
    if (!c) {
      c = metric.labels(this.nodeId, module, key);
      cache.set(key, c);
    }
    return c;
  }
}
