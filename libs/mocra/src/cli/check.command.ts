import { parseArgs } from 'node:util';
import { ConfigError, formatConfigIssue } from '../config/config.error.js';
import { loadConfig } from '../config/config.loader.js';
import type { MocraConfig } from '../config/mocra-config.js';
import { bootWithoutStart } from './app-boot.js';
import { loadApp, parseAppOptions, type AppSource } from './app-loader.js';
import { UsageError, type CliIo } from './cli-io.js';
import { probeBind, probeTcp, splitHostPort } from './connect-probe.js';
import { registryOf } from './registry-lookup.js';

export const CHECK_HELP = `Usage: mocra check --config <file.toml> [--app <file.js>[#Export[.factory]]] [options]

Validates a deployment before it runs: loads the config; with --app boots the app without crawling (MOCRA_NO_START=1)
so every module's DAG is compiled and its middleware names and cron expressions are checked; with --connect reaches
the Kafka brokers and Raft peers and checks that the API and Raft ports can be bound. Prints PASS/FAIL per item and
exits 1 when anything fails.

Options:
  --config, -c <file>      the TOML config to validate (required)
  --app <spec>             the app's compiled root module: file.js (export AppModule or default),
                           file.js#Export, or file.js#Export.factory for a dynamic module such as
                           AppModule.register; a factory is called with { config: <--config path>, ...--app-options }
  --app-options <json>     extra options for the factory, a JSON object
  --connect                also try TCP connections (Kafka, Raft peers) and bind the API and Raft ports
  --timeout <ms>           per-connection timeout for --connect (default 3000)
  --help, -h               this help`;

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckItem {
  status: CheckStatus;
  /** What was checked, e.g. `config prod.toml`, `dag catalog`, `kafka 10.0.0.1:9092`. */
  subject: string;
  detail: string;
}

export interface CheckOptions {
  config: string;
  /** An --app spec, or an already loaded module (tests, tools embedding the check). */
  app?: string | AppSource;
  appOptions?: Record<string, unknown>;
  connect?: boolean;
  timeoutMs?: number;
}

export interface CheckReport {
  ok: boolean;
  items: CheckItem[];
}

const MARK: Record<CheckStatus, string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs every check, printing one line per item as it is decided; never throws for a failed check. */
export async function runCheck(opts: CheckOptions, io: CliIo): Promise<CheckReport> {
  const items: CheckItem[] = [];
  const add = (status: CheckStatus, subject: string, detail: string): void => {
    items.push({ status, subject, detail });
    const [first = '', ...rest] = detail.split('\n');
    io.out(`${MARK[status]} ${subject}: ${first}`);
    for (const line of rest) io.out(`     ${line}`);
  };

  const config = checkConfig(opts.config, io, add);
  if (opts.app !== undefined) await checkApp(opts, config, io, add);
  if (opts.connect) {
    if (config) await checkConnections(config, opts.timeoutMs ?? 3000, add);
    else add('skip', 'connect', 'not tried: the config is invalid');
  }

  const failures = items.filter((i) => i.status === 'fail').length;
  io.out(
    failures === 0
      ? `check passed: ${items.filter((i) => i.status === 'pass').length} item(s) ok`
      : `check failed: ${failures} problem(s)`,
  );
  return { ok: failures === 0, items };
}

type Add = (status: CheckStatus, subject: string, detail: string) => void;

function checkConfig(path: string, io: CliIo, add: Add): MocraConfig | undefined {
  const subject = `config ${path}`;
  try {
    const config = loadConfig(path, { baseDir: io.cwd });
    const modules = Object.keys(config.modules);
    add(
      'pass',
      subject,
      `valid (name "${config.name}", modules configured: ${modules.length > 0 ? modules.join(', ') : 'none'})`,
    );
    for (const note of config.notes) io.out(`     note: ${note}`);
    return config;
  } catch (err) {
    if (err instanceof ConfigError)
      for (const issue of err.issues) add('fail', subject, formatConfigIssue(issue));
    else add('fail', subject, messageOf(err));
    return undefined;
  }
}

async function checkApp(
  opts: CheckOptions,
  config: MocraConfig | undefined,
  io: CliIo,
  add: Add,
): Promise<void> {
  const label = typeof opts.app === 'string' ? opts.app : (opts.app?.label ?? 'app');
  if (!config) {
    add('skip', `app ${label}`, 'not booted: the config is invalid');
    return;
  }
  let source: AppSource;
  try {
    source =
      typeof opts.app === 'string'
        ? await loadApp(opts.app, { cwd: io.cwd, config: opts.config, appOptions: opts.appOptions })
        : opts.app!;
  } catch (err) {
    add('fail', `app ${label}`, `cannot load: ${messageOf(err)}`);
    return;
  }
  let app;
  try {
    app = await bootWithoutStart(source.module);
  } catch (err) {
    // Startup stops at its first problem, so fixing it may reveal the next one.
    add('fail', `app ${label}`, `startup failed: ${messageOf(err)}`);
    return;
  }
  try {
    let modules;
    try {
      modules = registryOf(app).all();
    } catch (err) {
      add('fail', `app ${label}`, messageOf(err));
      return;
    }
    add(
      'pass',
      `app ${label}`,
      `booted without starting; modules: ${modules.map((m) => m.name).join(', ') || 'none'}`,
    );
    if (modules.length === 0)
      add('fail', `app ${label}`, 'no @CrawlerModule provider found: nothing would crawl');
    for (const mod of modules) {
      const dag = mod.dag;
      add(
        'pass',
        `dag ${mod.name}`,
        `${dag.nodes.size} node(s), ${dag.mode}, entries: ${dag.entries.join(', ')}`,
      );
      const listed = [
        ['download', mod.options.downloadMiddleware],
        ['data', mod.options.dataMiddleware],
        ['store', mod.options.storeMiddleware],
      ] as const;
      const named = listed.filter(([, names]) => names && names.length > 0);
      add(
        'pass',
        `middleware ${mod.name}`,
        named.length === 0
          ? 'none listed'
          : named.map(([kind, names]) => `${kind}: ${names!.join(', ')}`).join('; '),
      );
      if (mod.settings.cron) add('pass', `cron ${mod.name}`, `"${mod.settings.cron}" is valid`);
    }
    const known = new Set(modules.map((m) => m.name));
    for (const name of Object.keys(config.modules)) {
      if (!known.has(name)) {
        add(
          'fail',
          `config modules.${name}`,
          `the app has no crawler module "${name}" (modules: ${[...known].join(', ') || 'none'}); its settings would be ignored`,
        );
      }
    }
  } finally {
    await app.close();
  }
}

async function checkConnections(config: MocraConfig, timeoutMs: number, add: Add): Promise<void> {
  let tried = 0;
  const reach = async (what: string, address: string): Promise<void> => {
    tried++;
    const hp = splitHostPort(address);
    if (!hp) return add('fail', `${what} ${address}`, 'not a host:port address');
    const problem = await probeTcp(hp.host, hp.port, timeoutMs);
    add(
      problem ? 'fail' : 'pass',
      `${what} ${address}`,
      problem ? `cannot connect: ${problem}` : 'reachable',
    );
  };
  const bind = async (what: string, host: string, port: number): Promise<void> => {
    tried++;
    const problem = await probeBind(host, port);
    add(
      problem ? 'fail' : 'pass',
      `${what} ${host}:${port}`,
      problem ? `cannot bind: ${problem}` : 'free (bound and released)',
    );
  };
  for (const broker of config.channel_config.kafka?.brokers ?? []) await reach('kafka broker', broker);
  if (config.raft) {
    const own = splitHostPort(config.raft.addr);
    if (own) await bind('raft addr', own.host, own.port);
    for (const peer of config.raft.peers) await reach('raft peer', peer);
  }
  if (config.api) await bind('api port', config.api.host, config.api.port);
  if (tried === 0)
    add('skip', 'connect', 'no [channel_config.kafka], [raft] or [api] configured: nothing to reach');
}

/** `mocra check ...`: returns the process exit code (0 ok, 1 a check failed, 2 usage). */
export async function checkCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      config: { type: 'string', short: 'c' },
      app: { type: 'string' },
      'app-options': { type: 'string' },
      connect: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(CHECK_HELP);
    return 0;
  }
  if (!values.config) throw new UsageError('mocra check needs --config <file.toml>');
  const timeoutMs = values.timeout === undefined ? 3000 : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new UsageError(`--timeout must be a positive integer of ms, got ${JSON.stringify(values.timeout)}`);
  }
  const report = await runCheck(
    {
      config: values.config,
      app: values.app,
      appOptions: parseAppOptions(values['app-options']),
      connect: values.connect,
      timeoutMs,
    },
    io,
  );
  return report.ok ? 0 : 1;
}
