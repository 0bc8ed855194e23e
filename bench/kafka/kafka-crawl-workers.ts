import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

/**
 * The crawl through Kafka with N worker processes: a catalog site process, N download/parse/store workers and one
 * ingress-only driver (all compiled JS: dist/src/kafka-worker/kafka-crawl.main.js). pages/s = the driver's run
 * summary pages / (dispatch → every process's work reported done).
 */
export interface KafkaCrawlResult {
  workers: number;
  products: number;
  pages: number;
  items: number;
  wallMs: number;
  pagesPerSec: number;
}

/** This file runs from dist/bench/kafka; the app entries are compiled next to it, under dist/src. */
const distRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');

interface Child {
  proc: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

function startChild(script: string, args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffer = '';
  const take = (chunk: Buffer): void => {
    buffer += chunk.toString();
    let i;
    while ((i = buffer.indexOf('\n')) >= 0) {
      lines.push(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
    }
  };
  proc.stdout!.on('data', take);
  proc.stderr!.on('data', take);
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, lines, exited };
}

async function lineOf(child: Child, pattern: RegExp, what: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = child.lines.find((l) => pattern.test(l));
    if (found !== undefined) return found;
    if (child.proc.exitCode !== null) {
      throw new Error(
        `${what} exited (${child.proc.exitCode}) before ${pattern}:\n${child.lines.join('\n')}`,
      );
    }
    if (Date.now() > deadline) throw new Error(`${what}: no ${pattern} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function groupsFormed(brokers: string[], groups: string[], members: number): Promise<void> {
  const admin = new Kafka({ clientId: 'bench-groups', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    for (let i = 0; i < 600; i++) {
      const { groups: described } = await admin.describeGroups(groups);
      if (described.every((g) => g.state === 'Stable' && g.members.length === members)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`kafka crawl bench: groups ${groups.join(', ')} did not reach ${members} members`);
  } finally {
    await admin.disconnect();
  }
}

export async function startBenchSite(products: number): Promise<{ url: string; stop(): Promise<void> }> {
  const site = startChild(join(distRoot, 'src/catalog-site/catalog-site.main.js'), [], {
    CATALOG_SITE_OPTIONS: JSON.stringify({
      products,
      listPages: Math.max(1, Math.round(products / 20)),
      chain: false,
    }),
  });
  const ready = await lineOf(site, /CATALOG_SITE_READY /, 'catalog site', 30_000);
  return {
    url: ready.split(' ')[1]!,
    stop: async () => {
      site.proc.kill('SIGTERM');
      await site.exited;
    },
  };
}

export async function measureKafkaCrawl(
  brokers: string[],
  siteUrl: string,
  products: number,
  workers: number,
  concurrency: number,
): Promise<KafkaCrawlResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mocra-kafka-crawl-bench-'));
  const namespace = `bcrawl${randomUUID().slice(0, 8)}`;
  const entry = join(distRoot, 'src/kafka-worker/kafka-crawl.main.js');
  const config = (file: string, roles: string[]): string => {
    const path = join(dir, file);
    writeFileSync(
      path,
      [
        `name = "${namespace}"`,
        '[crawler]',
        `roles = ${JSON.stringify(roles)}`,
        `task_concurrency = ${concurrency}`,
        '[channel_config.kafka]',
        `brokers = ${JSON.stringify(brokers)}`,
        '[modules.catalog]',
        `concurrency = ${concurrency}`,
        '[modules.catalog.settings]',
        `base = "${siteUrl}"`,
      ].join('\n'),
    );
    return path;
  };
  const children: Child[] = [];
  try {
    for (let i = 0; i < workers; i++) {
      const child = startChild(entry, [config(`w${i}.toml`, ['download', 'parse', 'store'])], {
        MOCRA_OUTPUT: join(dir, `w${i}.jsonl`),
      });
      children.push(child);
      await lineOf(child, /^\[ready\]/, `worker ${i}`, 60_000);
    }
    await groupsFormed(
      brokers,
      ['request', 'response', 'parser_task'].map((r) => `${namespace}-${r}`),
      workers,
    );
    const driver = startChild(entry, [config('driver.toml', ['ingress']), '--drive'], {
      MOCRA_OUTPUT: join(dir, 'driver.jsonl'),
    });
    children.push(driver);
    const line = await lineOf(driver, /^\[summary\] /, 'driver', 600_000);
    const summary = JSON.parse(line.slice('[summary] '.length)) as {
      pages: number;
      items: number;
      wallMs: number;
    };
    return {
      workers,
      products,
      pages: summary.pages,
      items: summary.items,
      wallMs: summary.wallMs,
      pagesPerSec: summary.pages / (summary.wallMs / 1000),
    };
  } finally {
    for (const child of children) if (child.proc.exitCode === null) child.proc.kill('SIGTERM');
    await Promise.all(children.map((c) => c.exited));
    rmSync(dir, { recursive: true, force: true });
  }
}
