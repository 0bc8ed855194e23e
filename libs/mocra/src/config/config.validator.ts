import { validateSync, type ValidationError, type ValidatorOptions } from '../common/class-validator.js';
import type { ConfigIssue } from './config.error.js';
import {
  configKeysOf,
  hasCrossFieldChecks,
  KEY_KIND_CONSTRAINT,
  type SectionClass,
} from './config-key.decorator.js';
import { joinPath } from './config-paths.js';
import { walkSections } from './config-sections.walker.js';
import { isTable } from './config-value.kinds.js';
import { closestKey } from './key-suggestion.js';

const VALIDATOR_OPTIONS: ValidatorOptions = {
  // Unknown keys are reported (with a suggestion) rather than dropped: a typo must not silently become a default.
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: true, value: true },
};

const WHITELIST_CONSTRAINT = 'whitelistValidation';
const NESTED_CONSTRAINT = 'nestedValidation';

/** A value as an error message shows it: JSON, shortened, never a secret. */
export function describeValue(value: unknown, secret = false): string {
  if (secret) return 'a hidden value';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return value.toString();
  const json = JSON.stringify(value);
  if (json === undefined) return String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

function unknownKeyIssue(path: string, key: string, section: object | undefined): ConfigIssue {
  const known = section === undefined ? [] : [...configKeysOf(section.constructor).keys()];
  const suggestion = closestKey(key, known);
  const hint = suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
  return { path, message: `unknown key ${JSON.stringify(key)}${hint}` };
}

function isSecret(section: object | undefined, key: string): boolean {
  return section !== undefined && configKeysOf(section.constructor).get(key)?.secret === true;
}

/** Flattens class-validator's error tree into one issue per key, named by its full path. */
function collectIssues(
  errors: ValidationError[],
  path: string,
  inArray: boolean,
  issues: ConfigIssue[],
): void {
  for (const error of errors) {
    const constraints = error.constraints ?? {};
    if (constraints[WHITELIST_CONSTRAINT] !== undefined) {
      issues.push(unknownKeyIssue(path, error.property, error.target));
      continue;
    }
    const keyPath = inArray ? `${path}[${error.property}]` : joinPath(path, error.property);
    const shown = describeValue(error.value, isSecret(error.target, error.property));
    const expectation = constraints[KEY_KIND_CONSTRAINT];
    if (expectation !== undefined) {
      const message = error.value === undefined ? 'is required' : `${expectation}, got ${shown}`;
      issues.push({ path: keyPath, message });
      continue;
    }
    if (constraints[NESTED_CONSTRAINT] !== undefined) {
      issues.push({ path: keyPath, message: `must be a table, got ${shown}` });
      continue;
    }
    const other = Object.values(constraints)[0];
    if (other !== undefined) issues.push({ path: keyPath, message: other });
    if (error.children !== undefined && error.children.length > 0) {
      collectIssues(error.children, keyPath, Array.isArray(error.value), issues);
    }
  }
}

function validateSection(section: object, path: string, issues: ConfigIssue[]): void {
  collectIssues(validateSync(section, VALIDATOR_OPTIONS), path, false, issues);
}

/**
 * Validates a tree of section instances: class-validator for every key (types, required keys, unknown keys),
 * then the entries of named tables (which class-validator cannot reach), then each section's cross-field rules.
 */
export function validateConfigTree(schema: SectionClass, root: Record<string, unknown>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  validateSection(root, '', issues);
  walkSections(schema, root, '', (sectionSchema, section, path) => {
    for (const [key, spec] of configKeysOf(sectionSchema)) {
      const entries = section[key];
      if (spec.kind.tag !== 'named_tables' || !isTable(entries)) continue;
      for (const [name, entry] of Object.entries(entries)) {
        const entryPath = joinPath(joinPath(path, key), name);
        if (isTable(entry)) validateSection(entry, entryPath, issues);
        else issues.push({ path: entryPath, message: `must be a table, got ${describeValue(entry)}` });
      }
    }
    if (hasCrossFieldChecks(section)) {
      for (const issue of section.checkFields()) {
        // Cross-field paths are already written as paths (they may hold an index), so they are not quoted.
        const issuePath = issue.path === '' ? path : path === '' ? issue.path : `${path}.${issue.path}`;
        issues.push({ path: issuePath, message: issue.message });
      }
    }
  });
  return issues;
}
