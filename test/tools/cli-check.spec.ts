import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Module } from '@nestjs/common';
import { afterAll, describe, expect, it } from 'vitest';
import { runCheck, runCli, type CheckOptions, type CliIo } from '../../libs/mocra/src/cli/index.js';
import { BadCronApp, CycleApp, TypoMiddlewareApp, ValidApp } from './fixtures/check.apps.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = (name: string) => `test/tools/fixtures/${name}`;

function collectingIo(): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { cwd: repo, lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

async function check(opts: CheckOptions) {
  const io = collectingIo();
  const report = await runCheck(opts, io);
  return { report, output: io.lines.join('\n'), failures: report.items.filter((i) => i.status === 'fail') };
}

describe('mocra check', () => {
  it('passes a valid config and app, reporting each module, its middleware and cron', async () => {
    const { report, output } = await check({
      config: fixture('valid.toml'),
      app: { module: ValidApp.register({ config: fixture('valid.toml') }), label: 'valid' },
    });
    expect(report.ok, output).toBe(true);
    expect(output).toContain(
      'PASS config test/tools/fixtures/valid.toml: valid (name "fixture", modules configured: shop)',
    );
    expect(output).toContain('PASS dag shop: 2 node(s), explicit, entries: list');
    expect(output).toContain('PASS middleware shop: data: trim; store: memory');
    expect(output).toContain('PASS cron shop: "0 0 3 * * *" is valid');
    expect(output).toMatch(/check passed: \d+ item\(s\) ok$/);
  });

  it('names every key of a config with a wrong type and does not boot the app', async () => {
    const { report, failures, output } = await check({
      config: fixture('wrong-type.toml'),
      app: { module: ValidApp.register({ config: fixture('wrong-type.toml') }), label: 'valid' },
    });
    expect(report.ok).toBe(false);
    expect(failures.map((f) => f.detail.split(':')[0]).sort()).toEqual([
      'crawler.request_max_retries',
      'download_config.timeout',
    ]);
    expect(output).toContain('SKIP app valid: not booted: the config is invalid');
  });

  it('names an unknown middleware', async () => {
    const { report, failures } = await check({
      config: fixture('valid.toml'),
      app: { module: TypoMiddlewareApp.register({ config: fixture('valid.toml') }), label: 'typo' },
    });
    expect(report.ok).toBe(false);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.detail).toContain('module "shop": store middleware "memroy" is not registered');
    expect(failures[0]!.detail).toContain('registered: memory');
  });

  it('names a bad cron expression, in the config and in a module decorator', async () => {
    const inConfig = await check({ config: fixture('bad-cron.toml') });
    expect(inConfig.report.ok).toBe(false);
    expect(inConfig.failures[0]!.detail).toMatch(/^modules\.shop\.cron: .*every night/);

    const inDecorator = await check({
      config: fixture('valid.toml'),
      app: { module: BadCronApp.register({ config: fixture('valid.toml') }), label: 'cron' },
    });
    expect(inDecorator.report.ok).toBe(false);
    expect(inDecorator.failures[0]!.detail).toContain(
      'module "shop": invalid cron expression "0 0 25 * * *"',
    );
  });

  it('names a DAG cycle without an entry node', async () => {
    const { report, failures } = await check({
      config: fixture('loop.toml'),
      app: { module: CycleApp.register({ config: fixture('loop.toml') }), label: 'loop' },
    });
    expect(report.ok).toBe(false);
    expect(failures[0]!.detail).toContain('module "loop": the DAG has no entry node');
  });

  it('fails for configured modules the app does not have, whose settings would be ignored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mocra-check-'));
    const typo = join(dir, 'typo.toml');
    writeFileSync(typo, 'name = "x"\n[modules.shoop.settings]\na = 1\n');
    const { report, failures } = await check({
      config: typo,
      app: { module: ValidApp.register({ config: typo }), label: 'v' },
    });
    rmSync(dir, { recursive: true, force: true });
    expect(report.ok).toBe(false);
    expect(failures.map((f) => [f.subject, f.detail])).toEqual([
      [
        'config modules.shoop',
        expect.stringContaining('the app has no crawler module "shoop" (modules: shop)'),
      ],
    ]);
  });

  it('loads the app from a file spec with a factory, giving it the --config path', async () => {
    const io = collectingIo();
    const code = await runCli(
      ['check', '--config', fixture('valid.toml'), '--app', `${fixture('check.apps.ts')}#ValidApp.register`],
      io,
    );
    expect(code, io.lines.join('\n')).toBe(0);
    expect(io.lines).toContain('PASS dag shop: 2 node(s), explicit, entries: list');

    const bad = collectingIo();
    expect(
      await runCli(
        ['check', '--config', fixture('loop.toml'), '--app', `${fixture('check.apps.ts')}#CycleApp.register`],
        bad,
      ),
    ).toBe(1);
    expect(bad.lines.join('\n')).toContain('the DAG has no entry node');

    const missing = collectingIo();
    expect(
      await runCli(
        ['check', '--config', fixture('valid.toml'), '--app', `${fixture('check.apps.ts')}#Nope`],
        missing,
      ),
    ).toBe(1);
    expect(missing.lines.join('\n')).toMatch(/has no export Nope \(exports: .*ValidApp/);
  });

  it('says so when the app has no MocraModule', async () => {
    @Module({})
    class NotMocra {}
    const { report, failures } = await check({
      config: fixture('valid.toml'),
      app: { module: NotMocra, label: 'plain' },
    });
    expect(report.ok).toBe(false);
    expect(failures[0]!.detail).toContain('the app does not use the same @mocra/core as this mocra command');
  });

  it('checks the example app through its AppModule.register factory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mocra-check-example-'));
    const config = join(dir, 'example.toml');
    writeFileSync(config, 'name = "example"\n[modules.catalog.settings]\nbase = "http://127.0.0.1:1"\n');
    const io = collectingIo();
    const options = JSON.stringify({ output: join(dir, 'items.jsonl') });
    const args = [
      'check',
      '--config',
      config,
      '--app',
      'src/app.module.ts#AppModule.register',
      '--app-options',
    ];
    const code = await runCli([...args, options], io);
    rmSync(dir, { recursive: true, force: true });
    expect(code, io.lines.join('\n')).toBe(0);
    expect(io.lines).toEqual(
      expect.arrayContaining([
        'PASS dag catalog: 2 node(s), explicit, entries: list',
        'PASS middleware catalog: store: jsonl',
      ]),
    );
  });

  describe('--connect', () => {
    const servers: Server[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'mocra-connect-'));
    afterAll(async () => {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      rmSync(dir, { recursive: true, force: true });
    });
    const listen = async () => {
      const s = createServer((socket) => socket.destroy());
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      servers.push(s);
      return (s.address() as { port: number }).port;
    };
    const closedPort = async () => {
      const s = createServer();
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      const port = (s.address() as { port: number }).port;
      await new Promise((r) => s.close(r));
      return port;
    };

    it('reaches brokers and peers and checks the API and Raft ports can be bound', async () => {
      const broker = await listen();
      const peer = await listen();
      const deadPeer = await closedPort();
      const busyApi = await listen();
      const raftAddr = await closedPort();
      const path = join(dir, 'cluster.toml');
      writeFileSync(
        path,
        [
          'name = "cluster"',
          '[channel_config.kafka]',
          `brokers = ["127.0.0.1:${broker}"]`,
          '[raft]',
          `addr = "127.0.0.1:${raftAddr}"`,
          `peers = ["127.0.0.1:${peer}", "127.0.0.1:${deadPeer}"]`,
          `data_dir = "${dir}/raft"`,
          '[api]',
          `port = ${busyApi}`,
        ].join('\n'),
      );
      const { report, output } = await check({ config: path, connect: true, timeoutMs: 2000 });
      expect(report.ok).toBe(false);
      expect(output).toContain(`PASS kafka broker 127.0.0.1:${broker}: reachable`);
      expect(output).toContain(`PASS raft peer 127.0.0.1:${peer}: reachable`);
      expect(output).toContain(`FAIL raft peer 127.0.0.1:${deadPeer}: cannot connect: ECONNREFUSED`);
      expect(output).toContain(`PASS raft addr 127.0.0.1:${raftAddr}: free`);
      expect(output).toContain(`FAIL api port 127.0.0.1:${busyApi}: cannot bind: the port is already in use`);
      expect(report.items.filter((i) => i.status === 'fail')).toHaveLength(2);
    });

    it('says when there is nothing to reach', async () => {
      const { report, output } = await check({ config: fixture('valid.toml'), connect: true });
      expect(report.ok).toBe(true);
      expect(output).toContain('SKIP connect: no [channel_config.kafka], [raft] or [api] configured');
    });
  });

  it('exits 2 with a hint on usage mistakes and prints help for each command', async () => {
    const io = collectingIo();
    expect(await runCli(['check'], io)).toBe(2);
    expect(io.errors.join('\n')).toContain('mocra check needs --config');
    expect(await runCli(['check', '--config', 'x.toml', '--bogus'], io)).toBe(2);
    expect(io.errors.join('\n')).toContain("Unknown option '--bogus'");
    expect(await runCli(['frobnicate'], io)).toBe(2);
    for (const cmd of ['check', 'dag', 'new']) {
      const help = collectingIo();
      expect(await runCli([cmd, '--help'], help)).toBe(0);
      expect(help.lines.join('\n')).toContain(`Usage: mocra ${cmd}`);
    }
  });
});
