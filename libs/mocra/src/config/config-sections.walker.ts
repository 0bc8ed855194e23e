import { configKeysOf, type SectionClass } from './config-key.decorator.js';
import { joinPath } from './config-paths.js';
import { isTable } from './config-value.kinds.js';

export type SectionVisitor = (schema: SectionClass, section: Record<string, unknown>, path: string) => void;

/**
 * Visits a section and then every table below it that its schema declares (tables, arrays of tables and named
 * tables), with each one's key path. A visitor may replace child values: children are read after the visit.
 * Values of the wrong shape are skipped; validation reports them.
 */
export function walkSections(
  schema: SectionClass,
  section: Record<string, unknown>,
  path: string,
  visit: SectionVisitor,
): void {
  visit(schema, section, path);
  for (const [key, spec] of configKeysOf(schema)) {
    const kind = spec.kind;
    if (kind.tag === 'value') continue;
    const child = kind.schema();
    const value = section[key];
    const keyPath = joinPath(path, key);
    if (kind.tag === 'table' && isTable(value)) {
      walkSections(child, value, keyPath, visit);
    } else if (kind.tag === 'tables' && Array.isArray(value)) {
      value.forEach((entry: unknown, i) => {
        if (isTable(entry)) walkSections(child, entry, `${keyPath}[${i}]`, visit);
      });
    } else if (kind.tag === 'named_tables' && isTable(value)) {
      for (const [name, entry] of Object.entries(value)) {
        if (isTable(entry)) walkSections(child, entry, joinPath(keyPath, name), visit);
      }
    }
  }
}
