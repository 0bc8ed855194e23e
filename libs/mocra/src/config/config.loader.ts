import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { parse as parseToml, TomlError } from 'smol-toml';
import { normaliseAliases } from './config-aliases.js';
import { ConfigError, type ConfigIssue } from './config.error.js';
import { configKeysOf, type ConfigRoot, type SectionClass } from './config-key.decorator.js';
import { joinPath } from './config-paths.js';
import { walkSections } from './config-sections.walker.js';
import { isTable } from './config-value.kinds.js';
import { validateConfigTree } from './config.validator.js';
import type { MocraConfig } from './mocra-config.js';
import { RootConfigSection } from './sections/root.config.js';

export interface LoadConfigOptions {
  /**
   * Directory that a relative TOML path and relative paths inside the config (durable_path, raft.data_dir,
   * file log outputs) resolve against. Default: the process's working directory.
   */
  baseDir?: string;
}

/** Copies tables and arrays so loading never mutates the caller's object (checked to be plain data first). */
function clonePlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clonePlain);
  if (isTable(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clonePlain(v)]));
  return value;
}

/**
 * A config object must hold what a TOML file can: strings, numbers, booleans, dates, arrays and plain tables.
 * Class instances and functions would be copied or frozen in surprising ways, and `__proto__` would replace a
 * section's prototype when class-transformer assigns it.
 */
function findNonDataValues(value: unknown, path: string, issues: ConfigIssue[]): void {
  if (Array.isArray(value)) {
    value.forEach((entry: unknown, i) => findNonDataValues(entry, `${path}[${i}]`, issues));
  } else if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
    issues.push({ path, message: `must be plain data (TOML-compatible), got a ${typeof value}` });
  } else if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      issues.push({ path, message: `must be plain data (TOML-compatible), got an instance of ${kind}` });
      return;
    }
    for (const [key, child] of Object.entries(value)) {
      if (key === '__proto__') issues.push({ path, message: 'key "__proto__" is not allowed' });
      else findNonDataValues(child, joinPath(path, key), issues);
    }
  }
}

/** Configs this module produced: passing one back to loadConfig returns it unchanged. */
const loadedConfigs = new WeakSet<object>();

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function readTomlFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError([{ path: '', message: `cannot read the file: ${reason}` }], file);
  }
  try {
    return parseToml(text);
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    // smol-toml's message repeats the source excerpt after the reason; the position is given separately.
    const reason = (err.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '');
    const issue = {
      path: '',
      location: `${file}:${err.line}:${err.column}`,
      message: `TOML syntax error: ${reason}`,
    };
    throw new ConfigError([issue], file);
  }
}

/** Notes for seed keys and sections the user set that have no effect here. Paths drop array indices. */
function collectCompatNotes(raw: Record<string, unknown>, notes: string[]): void {
  const seen = new Set<string>();
  walkSections(RootConfigSection, raw, '', (schema, section, path) => {
    for (const [key, spec] of configKeysOf(schema)) {
      if (section[key] === undefined) continue;
      const note = spec.ignored
        ? (spec.note ?? `${key} has no effect in mocra-ts`)
        : spec.compat
          ? `${joinPath(path.replace(/\[\d+\]/g, '[]'), key)}: accepted for compatibility, no effect in mocra-ts`
          : undefined;
      if (note !== undefined && !seen.has(note)) {
        seen.add(note);
        notes.push(note);
      }
    }
  });
}

function fillDefaults(raw: Record<string, unknown>): void {
  walkSections(RootConfigSection, raw, '', (schema, section) => {
    for (const [key, spec] of configKeysOf(schema)) {
      if (section[key] === undefined && spec.default !== undefined) section[key] = clonePlain(spec.default);
    }
  });
}

/** class-transformer builds declared tables; named-table entries are built here, since their keys are free. */
function toSectionInstances(raw: Record<string, unknown>): Record<string, unknown> {
  const root = plainToInstance(RootConfigSection, raw) as unknown as Record<string, unknown>;
  walkSections(RootConfigSection, root, '', (schema, section) => {
    for (const [key, spec] of configKeysOf(schema)) {
      const entries = section[key];
      if (spec.kind.tag !== 'named_tables' || !isTable(entries)) continue;
      const entrySchema = spec.kind.schema();
      section[key] = Object.fromEntries(
        Object.entries(entries).map(([name, entry]) => [
          name,
          isTable(entry) ? plainToInstance(entrySchema, entry) : entry,
        ]),
      );
    }
  });
  return root;
}

/** The validated instances as plain data: derived defaults computed, paths expanded, seed-only sections dropped. */
function toPlainConfig(
  schema: SectionClass,
  section: Record<string, unknown>,
  root: ConfigRoot,
  baseDir: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of configKeysOf(schema)) {
    if (spec.ignored) continue;
    let value = section[key] ?? spec.derive?.(section, root);
    if (value === undefined) continue;
    const kind = spec.kind;
    if (kind.tag === 'table') {
      value = toPlainConfig(kind.schema(), value as Record<string, unknown>, root, baseDir);
    } else if (kind.tag === 'tables') {
      value = (value as Record<string, unknown>[]).map((entry) =>
        toPlainConfig(kind.schema(), entry, root, baseDir),
      );
    } else if (kind.tag === 'named_tables') {
      value = Object.fromEntries(
        Object.entries(value as Record<string, Record<string, unknown>>).map(([name, entry]) => [
          name,
          toPlainConfig(kind.schema(), entry, root, baseDir),
        ]),
      );
    } else {
      value = clonePlain(value);
    }
    if (spec.path === true && typeof value === 'string') {
      value = resolve(baseDir, value.replaceAll('{name}', String(root['name'])));
    }
    out[key] = value;
  }
  return out;
}

/**
 * Loads a mocra configuration from a TOML file path or from an object with the same keys, fills every default,
 * validates it and returns it frozen. Throws `ConfigError` listing every problem found, each with its key path.
 */
export function loadConfig(
  source: string | Record<string, unknown> | MocraConfig,
  opts: LoadConfigOptions = {},
): MocraConfig {
  if (typeof source === 'object' && loadedConfigs.has(source)) return source as MocraConfig;
  const baseDir = resolve(opts.baseDir ?? process.cwd());
  const file = typeof source === 'string' ? resolve(baseDir, source) : undefined;
  const input: unknown = file === undefined ? source : readTomlFile(file);
  if (!isTable(input)) {
    throw new ConfigError([{ path: '', message: 'must be a table (an object of sections)' }], file);
  }

  const issues: ConfigIssue[] = [];
  findNonDataValues(input, '', issues);
  if (issues.length > 0) throw new ConfigError(issues, file);
  const raw = clonePlain(input) as Record<string, unknown>;
  const notes: string[] = [];
  normaliseAliases(raw, notes, issues);
  collectCompatNotes(raw, notes);
  fillDefaults(raw);
  const root = toSectionInstances(raw);
  issues.push(...validateConfigTree(RootConfigSection, root));
  if (issues.length > 0) throw new ConfigError(issues, file);

  const config = deepFreeze({ ...toPlainConfig(RootConfigSection, root, root, baseDir), notes });
  loadedConfigs.add(config);
  return config as unknown as MocraConfig;
}

/** The configuration a bare `{ name }` gives: every default, nothing optional switched on. */
export function defaultConfig(name: string, opts: LoadConfigOptions = {}): MocraConfig {
  return loadConfig({ name }, opts);
}
