import type { CatalogSiteOptions } from './catalog-site.options.js';

/** Environment variable holding the options as a JSON object (argv flags override it). */
export const CATALOG_SITE_OPTIONS_ENV = 'CATALOG_SITE_OPTIONS';

type Kind = 'number' | 'boolean' | 'string' | 'numbers';

const FLAGS: Record<string, { key: keyof CatalogSiteOptions; kind: Kind }> = {
  products: { key: 'products', kind: 'number' },
  'list-pages': { key: 'listPages', kind: 'number' },
  host: { key: 'host', kind: 'string' },
  port: { key: 'port', kind: 'number' },
  'delay-ms': { key: 'delayMs', kind: 'number' },
  'fail-first-hit-every': { key: 'failFirstHitEvery', kind: 'number' },
  'always-fail': { key: 'alwaysFail', kind: 'numbers' },
  'failure-rate': { key: 'failureRate', kind: 'number' },
  seed: { key: 'seed', kind: 'number' },
  'repeat-links': { key: 'repeatLinks', kind: 'boolean' },
  chain: { key: 'chain', kind: 'boolean' },
};

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function parseValue(flag: string, kind: Kind, raw: string): CatalogSiteOptions[keyof CatalogSiteOptions] {
  switch (kind) {
    case 'string':
      return raw;
    case 'boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw new Error(`catalog site flag --${flag} expects true or false, got "${raw}"`);
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || Number.isNaN(n)) {
        throw new Error(`catalog site flag --${flag} expects a number, got "${raw}"`);
      }
      return n;
    }
    case 'numbers':
      return raw === ''
        ? []
        : raw.split(',').map((part) => {
            const n = Number(part);
            if (part.trim() === '' || !Number.isInteger(n)) {
              throw new Error(`catalog site flag --${flag} expects comma-separated integers, got "${raw}"`);
            }
            return n;
          });
  }
}

function parseJsonOptions(source: string, text: string): CatalogSiteOptions {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`catalog site options in ${source} are not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`catalog site options in ${source} must be a JSON object, got ${text}`);
  }
  return value as CatalogSiteOptions;
}

/**
 * Options for the standalone site: JSON in `CATALOG_SITE_OPTIONS`, then argv flags on top:
 * `--options '<json>'`, `--products 500`, `--list-pages=20`, `--chain=false`, `--no-repeat-links`,
 * `--always-fail 3,9`. camelCase names (`--listPages`) are accepted too. Values are checked later by
 * `resolveCatalogSiteOptions`; here only the flag names and value syntax.
 */
export function parseCatalogSiteArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): CatalogSiteOptions {
  const fromEnv = env[CATALOG_SITE_OPTIONS_ENV];
  let options: CatalogSiteOptions =
    fromEnv !== undefined && fromEnv.trim() !== '' ? parseJsonOptions(CATALOG_SITE_OPTIONS_ENV, fromEnv) : {};
  const set = (key: keyof CatalogSiteOptions, value: CatalogSiteOptions[keyof CatalogSiteOptions]): void => {
    options = { ...options, [key]: value };
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--'))
      throw new Error(`catalog site: unexpected argument "${arg}" (flags start with --)`);
    const eq = arg.indexOf('=');
    const name = kebab(eq === -1 ? arg.slice(2) : arg.slice(2, eq));
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const negated = name.startsWith('no-') ? FLAGS[name.slice(3)] : undefined;
    if (inline === undefined && negated?.kind === 'boolean') {
      set(negated.key, false);
      continue;
    }
    const spec = name === 'options' ? undefined : FLAGS[name];
    if (name !== 'options' && spec === undefined) {
      throw new Error(
        `catalog site: unknown flag --${name} (known: --options, --${Object.keys(FLAGS).join(', --')})`,
      );
    }
    let raw = inline;
    if (raw === undefined) {
      const next = argv[i + 1];
      if (spec?.kind === 'boolean' && (next === undefined || next.startsWith('--'))) {
        set(spec.key, true);
        continue;
      }
      if (next === undefined) throw new Error(`catalog site flag --${name} needs a value`);
      raw = next;
      i++;
    }
    if (spec === undefined) options = { ...options, ...parseJsonOptions('--options', raw) };
    else set(spec.key, parseValue(name, spec.kind, raw));
  }
  return options;
}
