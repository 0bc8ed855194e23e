// class-transformer's @Type reads design-time metadata through the Reflect API.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { ValidateBy, ValidateIf, ValidateNested } from '../common/class-validator.js';
import type { ConfigIssue } from './config.error.js';
import { isTable, type ValueKind } from './config-value.kinds.js';

/** A config section class: built by class-transformer, so it needs a no-argument constructor. */
export type SectionClass = new () => object;

/**
 * A key holding tables: one table (`[section]`), an array of tables (`[[section.list]]`) or a table of tables
 * keyed by free names (`[modules.<name>]`).
 */
export interface TableKind {
  readonly tag: 'table' | 'tables' | 'named_tables';
  readonly type: string;
  readonly schema: () => SectionClass;
}

export const table = (schema: () => SectionClass): TableKind => ({ tag: 'table', type: 'table', schema });
export const tables = (schema: () => SectionClass): TableKind => ({
  tag: 'tables',
  type: 'array of tables',
  schema,
});
export const namedTables = (schema: () => SectionClass): TableKind => ({
  tag: 'named_tables',
  type: 'table of tables',
  schema,
});

/** Reads the root (already validated) while finishing a key's value. */
export type ConfigRoot = Readonly<Record<string, unknown>>;

/** Everything about one config key: its validation, its default and its documentation. */
export interface ConfigKeySpec {
  readonly kind: ValueKind | TableKind;
  /** One or two sentences for the docs. */
  readonly doc: string;
  /**
   * Filled in when the key is absent, before validation (cloned per load). For a table key, `{}` means the
   * section is always present with its own defaults; no default leaves an optional section absent.
   */
  readonly default?: unknown;
  /** Computes the value of an absent key after validation, from its (validated) section and the root. */
  readonly derive?: (section: Readonly<Record<string, unknown>>, root: ConfigRoot) => unknown;
  /** The default as the docs show it, when `default` alone does not say it (derived, generated, absent). */
  readonly defaultText?: string;
  readonly required?: boolean;
  /** Accepted so a seed config loads, but has no effect in mocra-ts (the docs say so; loading adds a note). */
  readonly compat?: boolean;
  /** A whole seed section accepted and dropped; `note` explains why. */
  readonly ignored?: boolean;
  readonly note?: string;
  /** A filesystem path: `{name}` is replaced by the namespace and a relative path resolves against baseDir. */
  readonly path?: boolean;
  /** Never echoed in an error message. */
  readonly secret?: boolean;
}

/**
 * Cross-field rules a section checks after its keys passed their own type checks. Issue paths are relative to
 * the section ('' = the section itself).
 */
export interface CrossFieldChecked {
  checkFields(): ConfigIssue[];
}

export function hasCrossFieldChecks(value: object): value is CrossFieldChecked {
  return typeof (value as Partial<CrossFieldChecked>).checkFields === 'function';
}

/** Name of the constraint every key's own type check registers, so error formatting can find it. */
export const KEY_KIND_CONSTRAINT = 'mocraConfigKeyKind';

const keysByClass = new WeakMap<object, Map<string, ConfigKeySpec>>();

/** The keys declared on a section class, in declaration order. */
export function configKeysOf(schema: object): ReadonlyMap<string, ConfigKeySpec> {
  return keysByClass.get(schema) ?? new Map();
}

function checkKind(expectation: string, accepts: (value: unknown) => boolean): PropertyDecorator {
  return ValidateBy({
    name: KEY_KIND_CONSTRAINT,
    validator: { validate: (value: unknown) => accepts(value), defaultMessage: () => expectation },
  });
}

/**
 * Declares a config key: records its spec (for defaults, unknown-key suggestions and docs) and applies the
 * class-validator / class-transformer decorators its kind needs. An absent optional key skips validation; null
 * is not "absent" (TOML has no null), so it fails the type check.
 */
export function ConfigKey(spec: ConfigKeySpec): PropertyDecorator {
  return (target, property) => {
    if (typeof property !== 'string') throw new TypeError('@ConfigKey needs a string property name');
    const schema = target.constructor;
    const keys = keysByClass.get(schema) ?? new Map<string, ConfigKeySpec>();
    keys.set(property, spec);
    keysByClass.set(schema, keys);

    if (spec.required !== true) {
      ValidateIf((section: Record<string, unknown>) => section[property] !== undefined)(target, property);
    }
    const kind = spec.kind;
    switch (kind.tag) {
      case 'value':
        checkKind(kind.expectation, kind.accepts)(target, property);
        break;
      case 'table':
        checkKind('must be a table', isTable)(target, property);
        ValidateNested()(target, property);
        Type(kind.schema)(target, property);
        break;
      case 'tables':
        checkKind('must be an array of tables', Array.isArray)(target, property);
        ValidateNested()(target, property);
        Type(kind.schema)(target, property);
        break;
      case 'named_tables':
        // Entries are built and validated one by one by the loader, which knows their names.
        checkKind('must be a table of tables', isTable)(target, property);
        break;
    }
  };
}
