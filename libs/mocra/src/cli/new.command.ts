import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, type CliIo } from './cli-io.js';
import { mocraCoreVersion } from './mocra-version.js';
import { starterFiles } from './starter-template.js';

export const NEW_HELP = `Usage: mocra new <name> [options]

Writes a starter Nest app into ./<name>: package.json depending on @mocra/core, tsconfig, a vitest config with SWC,
src/ with one crawler module ("pages": a list node and a page node), AppModule and main.ts, a node test using
@mocra/core/testing, and mocra.toml. Then: cd <name> && npm install && npm test.

Options:
  --dir <path>             write into this folder instead of ./<name>
  --core <spec>            dependency spec of @mocra/core (default ^<this version>), e.g. file:../mocra-core.tgz
  --force                  write into a folder that is not empty (files of the same name are replaced)
  --help, -h               this help`;

// npm package names: lower case, no leading dot or underscore, URL-safe characters.
const PACKAGE_NAME = /^[a-z0-9][a-z0-9._-]*$/;

export interface NewOptions {
  name: string;
  dir?: string;
  coreSpec?: string;
  force?: boolean;
}

/** Writes the starter; returns the folder written. Throws UsageError for a bad name or a non-empty folder. */
export function runNew(opts: NewOptions, io: CliIo): string {
  if (!PACKAGE_NAME.test(opts.name) || opts.name.length > 214) {
    throw new UsageError(
      `invalid project name ${JSON.stringify(opts.name)}: use lower-case letters, digits, ".", "_" and "-" (an npm package name)`,
    );
  }
  const target = resolve(io.cwd, opts.dir ?? opts.name);
  if (existsSync(target) && readdirSync(target).length > 0 && !opts.force) {
    throw new UsageError(`${target} exists and is not empty; choose another name or --dir, or pass --force`);
  }
  const files = starterFiles({ name: opts.name, coreSpec: opts.coreSpec ?? `^${mocraCoreVersion()}` });
  for (const [path, content] of Object.entries(files)) {
    const file = join(target, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  const shown = relative(io.cwd, target) || '.';
  io.out(`created ${opts.name} in ${target} (${Object.keys(files).length} files)`);
  io.out('next:');
  io.out(`  cd ${shown}`);
  io.out('  npm install');
  io.out('  npm test        # the node tests');
  io.out('  npm run check   # validates mocra.toml and the DAG');
  io.out('  npm start       # crawls start_url from mocra.toml');
  return target;
}

/** `mocra new ...`: returns the process exit code. */
export async function newCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      core: { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(NEW_HELP);
    return 0;
  }
  const [name, ...extra] = positionals;
  if (name === undefined) throw new UsageError('mocra new needs a project name: mocra new <name>');
  if (extra.length > 0) throw new UsageError(`mocra new takes one name, got ${positionals.join(' ')}`);
  runNew({ name, dir: values.dir, coreSpec: values.core, force: values.force }, io);
  return 0;
}
