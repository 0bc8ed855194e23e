import { parseArgs } from 'node:util';
import { bootWithoutStart } from './app-boot.js';
import { loadApp, parseAppOptions, type AppSource } from './app-loader.js';
import { UsageError, type CliIo } from './cli-io.js';
import { renderDagMermaid, renderDagText } from './dag.render.js';
import { registryOf } from './registry-lookup.js';

export const DAG_HELP = `Usage: mocra dag [module] --app <file.js>[#Export[.factory]] [options]

Boots the app without crawling (MOCRA_NO_START=1) and prints each module's compiled DAG (or only [module]'s) as
text and as a Mermaid flowchart.

Options:
  --app <spec>             the app's compiled root module (see mocra check --help); required
  --config, -c <file>      config passed to a factory as { config } (default: the object { name: "mocra-dag" })
  --app-options <json>     extra options for the factory, a JSON object
  --format <f>             text, mermaid or both (default both)
  --help, -h               this help`;

export type DagFormat = 'text' | 'mermaid' | 'both';

export interface DagOptions {
  app: string | AppSource;
  module?: string;
  config?: string;
  appOptions?: Record<string, unknown>;
  format?: DagFormat;
}

/** Prints the DAGs; returns the exit code (1 when the app does not boot or `module` is unknown). */
export async function runDag(opts: DagOptions, io: CliIo): Promise<number> {
  let source: AppSource;
  if (typeof opts.app === 'string') {
    const appOptions = { ...opts.appOptions };
    // A factory needs some config to build MocraModule; a DAG does not depend on it.
    if (opts.config === undefined && appOptions['config'] === undefined)
      appOptions['config'] = { name: 'mocra-dag' };
    source = await loadApp(opts.app, {
      cwd: io.cwd,
      config: opts.config,
      appOptions: hasFactory(opts.app) ? appOptions : opts.appOptions,
    });
  } else {
    source = opts.app;
  }
  let app;
  try {
    app = await bootWithoutStart(source.module);
  } catch (err) {
    io.err(
      `mocra dag: app ${source.label} failed to start: ${err instanceof Error ? err.message : String(err)}`,
    );
    return 1;
  }
  try {
    let registry;
    try {
      registry = registryOf(app);
    } catch (err) {
      io.err(`mocra dag: app ${source.label}: ${(err as Error).message}`);
      return 1;
    }
    const names = registry.names();
    if (opts.module !== undefined && !names.includes(opts.module)) {
      io.err(`mocra dag: no module "${opts.module}" in the app (modules: ${names.join(', ') || 'none'})`);
      return 1;
    }
    const format = opts.format ?? 'both';
    for (const name of opts.module === undefined ? names : [opts.module]) {
      const dag = registry.get(name)!.dag;
      if (format !== 'mermaid') io.out(renderDagText(dag));
      if (format === 'both') io.out('');
      if (format !== 'text') io.out(['```mermaid', renderDagMermaid(dag), '```'].join('\n'));
      io.out('');
    }
    if (names.length === 0) io.err('mocra dag: the app has no @CrawlerModule provider');
    return names.length === 0 ? 1 : 0;
  } finally {
    await app.close();
  }
}

function hasFactory(spec: string): boolean {
  const hash = spec.lastIndexOf('#');
  return hash >= 0 && spec.slice(hash + 1).includes('.');
}

/** `mocra dag ...`: returns the process exit code. */
export async function dagCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      app: { type: 'string' },
      config: { type: 'string', short: 'c' },
      'app-options': { type: 'string' },
      format: { type: 'string', default: 'both' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(DAG_HELP);
    return 0;
  }
  if (!values.app) throw new UsageError('mocra dag needs --app <file.js>[#Export[.factory]]');
  if (positionals.length > 1)
    throw new UsageError(`mocra dag takes at most one module name, got ${positionals.join(' ')}`);
  const format = values.format;
  if (format !== 'text' && format !== 'mermaid' && format !== 'both') {
    throw new UsageError(`--format must be text, mermaid or both, got ${JSON.stringify(format)}`);
  }
  return runDag(
    {
      app: values.app,
      module: positionals[0],
      config: values.config,
      appOptions: parseAppOptions(values['app-options']),
      format,
    },
    io,
  );
}
