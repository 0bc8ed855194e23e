import { configKeysOf, type ConfigKeySpec, type SectionClass } from './config-key.decorator.js';
import { RootConfigSection } from './sections/root.config.js';

/** One documented config key. Paths use `[]` for array-of-tables entries and `<name>` for free table names. */
export interface ConfigKeyRow {
  readonly path: string;
  readonly type: string;
  readonly default: string;
  readonly description: string;
}

function defaultText(spec: ConfigKeySpec): string {
  if (spec.defaultText !== undefined) return spec.defaultText;
  if (spec.required === true) return 'required';
  if (spec.default === undefined) return 'none';
  if (spec.kind.tag === 'table') return 'present, with its defaults';
  return JSON.stringify(spec.default);
}

function description(spec: ConfigKeySpec): string {
  if (spec.ignored === true)
    return `${spec.doc} Accepted and ignored: ${spec.note ?? 'no effect in mocra-ts'}.`;
  if (spec.compat === true) return `${spec.doc} Accepted for compatibility, no effect.`;
  return spec.doc;
}

function describeSection(schema: SectionClass, prefix: string, rows: ConfigKeyRow[]): void {
  for (const [key, spec] of configKeysOf(schema)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    rows.push({ path, type: spec.kind.type, default: defaultText(spec), description: description(spec) });
    const kind = spec.kind;
    if (kind.tag === 'table') describeSection(kind.schema(), path, rows);
    else if (kind.tag === 'tables') describeSection(kind.schema(), `${path}[]`, rows);
    else if (kind.tag === 'named_tables') describeSection(kind.schema(), `${path}.<name>`, rows);
  }
}

/** Every config key with its type, default and meaning, in declaration order; the docs are checked against it. */
export function describeConfigKeys(): ConfigKeyRow[] {
  const rows: ConfigKeyRow[] = [];
  describeSection(RootConfigSection, '', rows);
  return rows;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** One markdown table line of a key, as docs/configuration.md shows it. */
export function renderConfigKeyRow(row: ConfigKeyRow): string {
  return `| \`${row.path}\` | ${cell(row.type)} | ${cell(row.default)} | ${cell(row.description)} |`;
}

const TABLE_HEAD = ['| Key | Type | Default | Description |', '|---|---|---|---|'];

/**
 * The key reference as markdown: top-level keys first, then one table per section. docs/configuration.md embeds
 * it, and a test keeps the two identical.
 */
export function renderConfigKeysMarkdown(): string {
  const rows = describeConfigKeys();
  const hasChildren = (row: ConfigKeyRow): boolean => rows.some((r) => r.path.startsWith(`${row.path}.`));
  const topLevel = rows.filter((row) => !row.path.includes('.') && !hasChildren(row));
  const out = ['### Top level', '', ...TABLE_HEAD, ...topLevel.map(renderConfigKeyRow)];
  for (const section of rows.filter((row) => !row.path.includes('.') && !topLevel.includes(row))) {
    const heading = section.type === 'table of tables' ? `[${section.path}.<name>]` : `[${section.path}]`;
    const children = rows.filter((row) => row.path.startsWith(`${section.path}.`));
    out.push(
      '',
      `### \`${heading}\``,
      '',
      `\`${section.path}\`: ${section.description} Default: ${section.default}.`,
      '',
    );
    out.push(...TABLE_HEAD, ...children.map(renderConfigKeyRow));
  }
  return out.join('\n');
}
