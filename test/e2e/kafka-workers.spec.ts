import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  CrawlerModule,
  loadConfig,
  MocraControlModule,
  MocraModule,
  MocraService,
  Node,
  ParseOutput,
  Request,
  StoreMiddleware,
  startMocraHttp,
  type CrawlerNode,
  type DataItem,
  type GenerateContext,
  type Response,
  type StoreMiddlewareHandler,
} from '@mocra/core';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCatalogSite, type CatalogSite } from '../../src/catalog-site/catalog-site.js';
import type { Product } from '../../src/catalog/catalog-product.node.js';
import { planKafkaBroker } from '../../libs/mocra/test/kafka/kafka-test-broker.js';
import { ensureBuilt, repoRoot } from '../support/ensure-built.js';
import { startNodeProcess, type NodeProcess } from '../support/node-process.js';
import { KafkaCrawlApp } from '../../src/kafka-worker/kafka-crawl.app.js';
import { NodeCounters } from '../../src/kafka-worker/node-counters.js';

const plan = planKafkaBroker();
const ENTRY = join(repoRoot, 'dist/src/kafka-worker/kafka-crawl.main.js');
/** The broker's floor (group.min.session.timeout.ms): a killed worker's partitions move after about this long. */
const SESSION_TIMEOUT_MS = 6000;

interface Line {
  requestId: string;
  itemIndex: number;
  data: Product;
}

interface Progress {
  pages: number;
  items: number;
  nodes: Record<string, { generate: number; parse: number }>;
}

function readItems(path: string): Line[] {
  if (!existsSync(path)) return [];
  const lines: Line[] = [];
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    if (raw.length === 0) continue;
    try {
      lines.push(JSON.parse(raw) as Line);
    } catch {
      // A worker killed mid-write may leave a torn last line; its item is redelivered and written again.
    }
  }
  return lines;
}

function progressOf(p: NodeProcess): Progress {
  const line = p.lastLine(/^\[progress\] /);
  if (line === undefined) throw new Error(`${p.name} printed no progress:\n${p.output()}`);
  return JSON.parse(line.slice('[progress] '.length)) as Progress;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.runIf(plan.run)(
  'several mocra processes share one crawl through Kafka (real broker, real processes)',
  () => {
    let brokers: string[] = [];
    let stopBroker: () => Promise<void> = async () => undefined;
    let admin: Admin;
    let dir: string;
    let site: CatalogSite | undefined;
    const running: NodeProcess[] = [];

    beforeAll(async () => {
      ensureBuilt();
      const broker = await plan.start();
      brokers = broker.brokers;
      stopBroker = broker.stop;
      admin = new Kafka({ clientId: 'kafka-workers-test', brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      dir = mkdtempSync(join(tmpdir(), 'mocra-kafka-workers-'));
    }, 180_000);

    afterEach(async () => {
      for (const p of running.splice(0)) {
        if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
        await p.exited;
      }
      await site?.close();
      site = undefined;
    });

    afterAll(async () => {
      await admin?.disconnect();
      await stopBroker();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    function writeConfig(
      file: string,
      namespace: string,
      module: string,
      roles: string[],
      workerGroups: string[] = [],
    ): string {
      const path = join(dir, file);
      writeFileSync(
        path,
        [
          `name = "${namespace}"`,
          '[crawler]',
          `roles = ${JSON.stringify(roles)}`,
          `worker_groups = ${JSON.stringify(workerGroups)}`,
          'task_concurrency = 32',
          '[channel_config]',
          'nack_backoff_ms = 100',
          '[channel_config.kafka]',
          `brokers = ${JSON.stringify(brokers)}`,
          `session_timeout_ms = ${SESSION_TIMEOUT_MS}`,
          `[modules.${module}]`,
          'concurrency = 32',
          `[modules.${module}.settings]`,
          `base = "${site!.url}"`,
        ].join('\n'),
      );
      return path;
    }

    function start(name: string, config: string, output: string, args: string[] = []): NodeProcess {
      const p = startNodeProcess(name, ENTRY, [config, ...args], { MOCRA_OUTPUT: output });
      running.push(p);
      return p;
    }

    /** Waits until each consumer group has `members` members, so work is shared from the first record on. */
    async function groupsFormed(groups: Record<string, number>, timeoutMs = 60_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        const described = await admin.describeGroups(Object.keys(groups));
        const counts = Object.fromEntries(described.groups.map((g) => [g.groupId, g.members.length]));
        last = JSON.stringify(counts);
        if (described.groups.every((g) => g.state === 'Stable' && g.members.length === groups[g.groupId]))
          return;
        await sleep(200);
      }
      throw new Error(
        `consumer groups not formed within ${timeoutMs} ms: want ${JSON.stringify(groups)}, have ${last}`,
      );
    }

    function expectCatalogItems(lines: Line[], products: number): void {
      const byKey = new Map<string, Line>();
      for (const line of lines) byKey.set(`${line.requestId}#${line.itemIndex}`, line);
      // Keyed as the idempotent store keys them: exactly one item per product page.
      expect(byKey.size).toBe(products);
      const ids = [...byKey.values()].map((l) => l.data.id).sort((a, b) => a - b);
      expect(ids).toEqual(Array.from({ length: products }, (_, i) => i + 1));
      for (const { data } of byKey.values()) {
        const want = site!.expectedProduct(data.id);
        expect({ name: data.name, price: data.price, sku: data.sku }).toEqual({
          name: want.name,
          price: want.price,
          sku: want.sku,
        });
      }
    }

    async function startWorkers(
      namespace: string,
      module: string,
      groups: [string[], string[]],
    ): Promise<{ workers: NodeProcess[]; outputs: string[] }> {
      const outputs = [join(dir, `${namespace}-w1.jsonl`), join(dir, `${namespace}-w2.jsonl`)];
      const workers = groups.map((g, i) =>
        start(
          `worker-${i + 1}`,
          writeConfig(`${namespace}-w${i + 1}.toml`, namespace, module, ['download', 'parse', 'store'], g),
          outputs[i]!,
          ['--module', module],
        ),
      );
      await Promise.all(workers.map((w) => w.waitForLine(/^\[ready\]/)));
      const routes = ['request', 'response', 'parser_task'];
      const wanted: Record<string, number> = {};
      for (const route of routes) wanted[`${namespace}-${route}`] = 2;
      for (const group of new Set(groups.flat())) {
        const members = groups.filter((g) => g.includes(group)).length;
        for (const route of routes) wanted[`${namespace}-${route}.${group}`] = members;
      }
      await groupsFormed(wanted);
      return { workers, outputs };
    }

    function startDriver(namespace: string, module: string): NodeProcess {
      return start(
        'driver',
        writeConfig(`${namespace}-driver.toml`, namespace, module, ['ingress']),
        join(dir, `${namespace}-driver.jsonl`),
        ['--drive', '--module', module],
      );
    }

    async function summaryOf(driver: NodeProcess): Promise<{ pages: number; items: number }> {
      const line = await driver.waitForLine(/^\[summary\] /, 150_000);
      expect(await driver.exited, driver.output()).toBe(0);
      return JSON.parse(line.slice('[summary] '.length)) as { pages: number; items: number };
    }

    it('an ingress-only driver and two download/parse/store workers crawl 2,000 products: exactly 2,000 distinct items', async () => {
      site = await startCatalogSite({ products: 2000, listPages: 100, chain: false, repeatLinks: false });
      const namespace = `kw${randomUUID().slice(0, 8)}`;
      const { workers, outputs } = await startWorkers(namespace, 'catalog', [[], []]);
      const driver = startDriver(namespace, 'catalog');
      const summary = await summaryOf(driver);

      const perWorker = outputs.map(readItems);
      expectCatalogItems(perWorker.flat(), 2000);
      // The work was shared, and the ingress-only driver parsed and stored nothing.
      expect(perWorker[0]!.length).toBeGreaterThan(0);
      expect(perWorker[1]!.length).toBeGreaterThan(0);
      expect(existsSync(join(dir, `${namespace}-driver.jsonl`))).toBe(false);
      expect(progressOf(driver).pages).toBe(0);
      // The driver's summary adds up the counters the workers reported.
      expect(summary.items).toBeGreaterThanOrEqual(2000);
      expect(summary.pages).toBeGreaterThanOrEqual(2101);
      // Dedup holds across the workers: every page once, but /catalog/1, which the driver's entry node generated and
      // a worker generates again from the list pages' home link (the two seen-sets never meet).
      expect(site.stats().totalRequests).toBeGreaterThanOrEqual(2100);
      expect(site.stats().totalRequests).toBeLessThanOrEqual(2102);
      for (const w of workers) expect(w.proc.exitCode, w.output()).toBeNull();
    }, 180_000);

    it('kill -9 of one worker after ~30% of the items: the other finishes, exactly 2,000 distinct items', async () => {
      site = await startCatalogSite({
        products: 2000,
        listPages: 100,
        chain: false,
        repeatLinks: false,
        delayMs: 3,
      });
      const namespace = `kw${randomUUID().slice(0, 8)}`;
      const { workers, outputs } = await startWorkers(namespace, 'catalog', [[], []]);
      const [victim, survivor] = workers as [NodeProcess, NodeProcess];
      const driver = startDriver(namespace, 'catalog');
      while (site.stats().totalRequests < 0.3 * 2100) {
        if (driver.proc.exitCode !== null) throw new Error(`driver ended early:\n${driver.output()}`);
        await sleep(10);
      }
      victim.proc.kill('SIGKILL');
      await victim.exited;
      const killedAt = readItems(outputs[0]!).length;
      expect(killedAt).toBeGreaterThan(0);

      const summary = await summaryOf(driver);
      expect(victim.proc.signalCode).toBe('SIGKILL');
      expect(survivor.proc.exitCode, survivor.output()).toBeNull();
      const all = [...readItems(outputs[0]!), ...readItems(outputs[1]!)];
      expectCatalogItems(all, 2000);
      // The survivor took over: it stored everything the victim had not.
      expect(readItems(outputs[1]!).length).toBeGreaterThanOrEqual(2000 - killedAt);
      expect(summary.items).toBeGreaterThanOrEqual(2000);
    }, 180_000);

    it('a node placed on worker group "render" runs only in the worker that declares the group', async () => {
      site = await startCatalogSite({ products: 400, listPages: 40, chain: false, repeatLinks: false });
      const namespace = `kw${randomUUID().slice(0, 8)}`;
      const { workers, outputs } = await startWorkers(namespace, 'render_catalog', [['render'], []]);
      const [render, plain] = workers as [NodeProcess, NodeProcess];
      const driver = startDriver(namespace, 'render_catalog');
      await summaryOf(driver);
      for (const w of workers) w.proc.kill('SIGTERM');
      for (const w of workers) expect(await w.exited, w.output()).toBe(0);

      const withGroup = progressOf(render).nodes;
      const without = progressOf(plain).nodes;
      expect(withGroup['product']?.generate).toBeGreaterThanOrEqual(400);
      expect(withGroup['product']?.parse).toBeGreaterThanOrEqual(400);
      expect(without['product']).toBeUndefined();
      // The plain worker did take part: it ran (unplaced) list pages.
      expect(without['list']?.parse ?? 0).toBeGreaterThan(0);
      expectCatalogItems(readItems(outputs[0]!), 400);
      expect(readItems(outputs[1]!)).toEqual([]);
    }, 180_000);

    it('a parser failure on Kafka lands in {name}-dlq, shows up in GET /dlq/messages, requeues and completes', async () => {
      site = await startCatalogSite({ products: 3, listPages: 1 });
      const namespace = `kw${randomUUID().slice(0, 8)}`;
      let failing = true;
      const stored: DataItem[] = [];

      @Node('page')
      class FlakyPageNode implements CrawlerNode {
        generate(ctx: GenerateContext): Request {
          return Request.get(`${String(ctx.config['base'])}/product/2`);
        }
        parse(res: Response): ParseOutput {
          if (failing) throw new Error('parser broke on purpose');
          return new ParseOutput().withData({ sku: res.$('.sku').first().text().trim() });
        }
      }

      @StoreMiddleware({ name: 'kept' })
      class KeptStore implements StoreMiddlewareHandler {
        store(item: DataItem): void {
          stored.push(item);
        }
      }

      @CrawlerModule({ name: 'flaky', nodes: [FlakyPageNode], storeMiddleware: ['kept'] })
      class FlakyModule {}

      @Module({
        imports: [
          MocraModule.forRoot({
            config: {
              name: namespace,
              channel_config: {
                nack_backoff_ms: 50,
                kafka: { brokers, session_timeout_ms: SESSION_TIMEOUT_MS },
              },
              policy: { overrides: [{ kind: 'Parser', max_retries: 0 }] },
              api: { port: 8805, api_key: 'secret' },
              modules: { flaky: { settings: { base: site.url } } },
            },
          }),
          MocraControlModule,
        ],
        providers: [FlakyModule, FlakyPageNode, KeptStore],
      })
      class DlqApp {}

      const app = await NestFactory.create(DlqApp, new FastifyAdapter(), { logger: ['error'] });
      try {
        const address = await startMocraHttp(app, { port: 0, host: '127.0.0.1' });
        const call = async (path: string, method = 'GET'): Promise<{ status: number; body: unknown }> => {
          const res = await fetch(`${address!.url}${path}`, {
            method,
            headers: { authorization: 'Bearer secret' },
          });
          const text = await res.text();
          return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
        };
        const mocra = app.get(MocraService);
        const summary = await (await mocra.dispatch({ module: ['flaky'] })).finished;
        expect(summary.deadLettered).toBe(1);
        expect(stored).toEqual([]);

        const dlqEnd = await admin.fetchTopicOffsets(`${namespace}-dlq`);
        expect(dlqEnd.reduce((n, p) => n + Number(p.high), 0)).toBeGreaterThanOrEqual(1);
        const listed = await call('/dlq/messages?module=flaky');
        expect(listed.status).toBe(200);
        const page = listed.body as {
          total: number;
          items: Array<{ id: string; sourceRoute: string; reason: string }>;
        };
        expect(page.total).toBe(1);
        expect(page.items[0]!.sourceRoute).toBe('response');
        expect(page.items[0]!.reason).toContain('parser broke on purpose');

        failing = false;
        expect((await call(`/dlq/messages/${page.items[0]!.id}/requeue`, 'POST')).status).toBe(202);
        for (let i = 0; i < 300 && stored.length === 0; i++) await sleep(100);
        expect(stored.map((s) => s.data)).toEqual([{ sku: 'SKU-2' }]);
        expect(((await call('/dlq/messages?module=flaky')).body as { total: number }).total).toBe(0);
      } finally {
        await app.close();
      }
    }, 120_000);
  },
);

describe('worker roles and placement without Kafka', () => {
  it('rejects bad roles and worker groups with errors naming the key path', () => {
    expect(() => loadConfig({ name: 'r', crawler: { roles: ['download', 'render'] } })).toThrow(
      /crawler\.roles: must be a non-empty array of distinct roles from "ingress", "download", "parse", "store"/,
    );
    expect(() => loadConfig({ name: 'r', crawler: { roles: ['ingress', 'parse'] } })).toThrow(
      /crawler\.roles: "parse" and "store" must be listed together/,
    );
    expect(() => loadConfig({ name: 'r', crawler: { worker_groups: ['gpu.render'] } })).toThrow(
      /crawler\.worker_groups: must be an array of distinct names/,
    );
    const defaults = loadConfig({ name: 'r' }).crawler;
    expect(defaults.roles).toEqual(['ingress', 'download', 'parse', 'store']);
    expect(defaults.worker_groups).toEqual([]);
  });

  it('local queues: a process must run every stage, and placed nodes run in it (placement ignored)', async () => {
    const site = await startCatalogSite({ products: 200, listPages: 10, chain: false, repeatLinks: false });
    const dir = mkdtempSync(join(tmpdir(), 'mocra-local-placement-'));
    try {
      const write = (file: string, roles: string): string => {
        const path = join(dir, file);
        writeFileSync(
          path,
          [
            'name = "local"',
            '[crawler]',
            `roles = ${roles}`,
            '[modules.render_catalog.settings]',
            `base = "${site.url}"`,
          ].join('\n'),
        );
        return path;
      };
      const output = join(dir, 'items.jsonl');
      await expect(
        NestFactory.createApplicationContext(
          KafkaCrawlApp.register({
            config: write('partial.toml', '["download", "parse", "store"]'),
            output,
            module: 'render_catalog',
          }),
          { logger: false, abortOnError: false },
        ),
      ).rejects.toThrow(/crawler\.roles .* leaves out "ingress".*\[channel_config\.kafka\]/);

      const app = await NestFactory.createApplicationContext(
        KafkaCrawlApp.register({
          config: write('all.toml', '["ingress", "download", "parse", "store"]'),
          output,
          module: 'render_catalog',
        }),
        { logger: false },
      );
      const before = NodeCounters.snapshot()['product']?.parse ?? 0;
      try {
        const summary = await (await app.get(MocraService).dispatch({ module: ['render_catalog'] })).finished;
        expect(summary.items).toBe(200);
      } finally {
        await app.close();
      }
      expect((NodeCounters.snapshot()['product']?.parse ?? 0) - before).toBe(200);
      expect(new Set(readItems(output).map((l) => l.data.id)).size).toBe(200);
    } finally {
      await site.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
