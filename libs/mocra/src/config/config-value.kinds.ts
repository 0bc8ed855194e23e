/**
 * What a config key may hold. A kind is checked as is: values are never coerced, so "10" for an integer key or
 * 10 for a string key is an error rather than a silent conversion.
 */
export interface ValueKind {
  readonly tag: 'value';
  /** The type as the docs show it, e.g. `integer ≥ 1`. */
  readonly type: string;
  /** Completes "<key>: ...", e.g. `must be a positive integer`. */
  readonly expectation: string;
  readonly accepts: (value: unknown) => boolean;
}

export function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function valueKind(type: string, expectation: string, accepts: (value: unknown) => boolean): ValueKind {
  return { tag: 'value', type, expectation, accepts };
}

const isInteger = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export const positiveInt = valueKind(
  'integer ≥ 1',
  'must be a positive integer',
  (v) => isInteger(v) && v >= 1,
);

export const nonNegativeInt = valueKind(
  'integer ≥ 0',
  'must be a non-negative integer',
  (v) => isInteger(v) && v >= 0,
);

export function intRange(min: number, max: number): ValueKind {
  return valueKind(
    `integer ${min}..${max}`,
    `must be an integer from ${min} to ${max}`,
    (v) => isInteger(v) && v >= min && v <= max,
  );
}

export const nonNegativeNumber = valueKind(
  'number ≥ 0',
  'must be a non-negative number',
  (v) => isNumber(v) && v >= 0,
);

export const positiveNumber = valueKind(
  'number > 0',
  'must be a positive number',
  (v) => isNumber(v) && v > 0,
);

export const ratio = valueKind(
  'number 0..1',
  'must be a number from 0 to 1',
  (v) => isNumber(v) && v >= 0 && v <= 1,
);

export const bool = valueKind('boolean', 'must be a boolean (true or false)', (v) => typeof v === 'boolean');

export const str = valueKind('string', 'must be a string', (v) => typeof v === 'string');

export const nonEmptyStr = valueKind(
  'string',
  'must be a non-empty string',
  (v) => typeof v === 'string' && v !== '',
);

/** The namespace prefixes Kafka topics, so it is limited to the characters Kafka allows in a topic name. */
export const namespaceName = valueKind(
  'string [A-Za-z0-9_.-]+',
  'must be a non-empty string of letters, digits, "_", "." or "-"',
  (v) => typeof v === 'string' && /^[A-Za-z0-9_.-]+$/.test(v),
);

export function oneOf(values: readonly string[], aliases = ''): ValueKind {
  const listed = values.map((v) => `"${v}"`).join(' | ');
  return valueKind(
    `${listed}${aliases}`,
    `must be one of ${listed}${aliases}`,
    (v) => typeof v === 'string' && values.includes(v),
  );
}

export const stringList = valueKind(
  'string[]',
  'must be an array of strings',
  (v) => Array.isArray(v) && v.every((e) => typeof e === 'string'),
);

export const nonNegativeIntList = valueKind(
  'integer[]',
  'must be an array of non-negative integers',
  (v) => Array.isArray(v) && v.every((e) => isInteger(e) && e >= 0),
);

export function url(protocols: readonly string[]): ValueKind {
  const schemes = protocols.map((p) => `${p}://`).join(', ');
  return valueKind(`URL (${schemes})`, `must be a URL (${schemes})`, (v) => {
    if (typeof v !== 'string') return false;
    try {
      return protocols.includes(new URL(v).protocol.slice(0, -1));
    } catch {
      return false;
    }
  });
}

export const hostPort = valueKind(
  'string "host:port"',
  'must be "host:port" with a port from 1 to 65535',
  (v) => {
    if (typeof v !== 'string') return false;
    const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(v);
    const port = Number(match?.[2]);
    return match !== null && port >= 1 && port <= 65535;
  },
);

/** A table whose keys are free (user settings); its values are not checked. */
export const freeTable = valueKind('table (free-form)', 'must be a table', isTable);

export const stringMap = valueKind(
  'table of strings',
  'must be a table of strings',
  (v) => isTable(v) && Object.values(v).every((e) => typeof e === 'string'),
);

/** Seed expiry values: a date-time string, a TOML date-time or a number of seconds. */
export const expiry = valueKind(
  'string | date-time | integer (s)',
  'must be a date-time string, a TOML date-time or a non-negative integer (seconds)',
  (v) => typeof v === 'string' || v instanceof Date || (isInteger(v) && v >= 0),
);
