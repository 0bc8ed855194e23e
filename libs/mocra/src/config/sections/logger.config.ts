import type { ConfigIssue } from '../config.error.js';
import { ConfigKey, table, tables, type CrossFieldChecked } from '../config-key.decorator.js';
import {
  bool,
  freeTable,
  intRange,
  nonEmptyStr,
  nonNegativeInt,
  oneOf,
  positiveInt,
  stringList,
} from '../config-value.kinds.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export const LOG_OUTPUT_TYPES = ['console', 'file', 'mq'] as const;
export type LogOutputType = (typeof LOG_OUTPUT_TYPES)[number];

/** Keys that belong to one output type only; a key of another type is a mistake worth reporting. */
const KEYS_BY_OUTPUT_TYPE: Record<LogOutputType, readonly string[]> = {
  console: [],
  file: ['path', 'rotation', 'max_size_mb', 'max_files'],
  mq: ['backend', 'topic', 'buffer', 'batch_size', 'compression', 'kafka'],
};

/** `[[logger.outputs]]`: where log lines go, tagged by `type`. */
export interface LoggerOutputConfig {
  readonly type: LogOutputType;
  readonly path?: string;
  readonly rotation?: string;
  readonly max_size_mb?: number;
  readonly max_files?: number;
  readonly format: LogFormat;
  readonly backend?: string;
  readonly topic?: string;
  readonly buffer?: number;
  readonly batch_size?: number;
  readonly compression?: string;
  readonly kafka?: Readonly<Record<string, unknown>>;
}

export class LoggerOutputConfigSection implements LoggerOutputConfig, CrossFieldChecked {
  @ConfigKey({
    kind: oneOf(LOG_OUTPUT_TYPES),
    required: true,
    doc: 'Output type; "mq" has no effect in mocra-ts.',
  })
  type!: LogOutputType;

  @ConfigKey({ kind: nonEmptyStr, path: true, doc: 'File output: the log file (required for type "file").' })
  path?: string;

  @ConfigKey({
    kind: oneOf(['daily', 'hourly', 'minutely', 'never']),
    compat: true,
    doc: 'Seed: file rotation period.',
  })
  rotation?: string;

  @ConfigKey({ kind: positiveInt, compat: true, doc: 'Seed: file size cap in MiB.' })
  max_size_mb?: number;

  @ConfigKey({ kind: positiveInt, compat: true, doc: 'Seed: rotated files kept.' })
  max_files?: number;

  @ConfigKey({
    kind: oneOf(LOG_FORMATS),
    derive: (_output, root) => (root['logger'] as { format?: unknown } | undefined)?.format,
    defaultText: 'logger.format',
    doc: 'Line format of this output.',
  })
  format!: LogFormat;

  @ConfigKey({ kind: nonEmptyStr, compat: true, doc: 'Seed mq output: backend ("kafka").' })
  backend?: string;

  @ConfigKey({ kind: nonEmptyStr, compat: true, doc: 'Seed mq output: topic.' })
  topic?: string;

  @ConfigKey({ kind: positiveInt, compat: true, doc: 'Seed mq output: buffer size.' })
  buffer?: number;

  @ConfigKey({ kind: positiveInt, compat: true, doc: 'Seed mq output: batch size.' })
  batch_size?: number;

  @ConfigKey({ kind: nonEmptyStr, compat: true, doc: 'Seed mq output: compression.' })
  compression?: string;

  @ConfigKey({ kind: freeTable, compat: true, doc: 'Seed mq output: Kafka client settings.' })
  kafka?: Record<string, unknown>;

  checkFields(): ConfigIssue[] {
    const type = this.type;
    if (!LOG_OUTPUT_TYPES.includes(type)) return [];
    const issues: ConfigIssue[] = [];
    if (type === 'file' && this.path === undefined) {
      issues.push({ path: 'path', message: 'is required for an output of type "file"' });
    }
    for (const [otherType, keys] of Object.entries(KEYS_BY_OUTPUT_TYPE)) {
      if (otherType === type) continue;
      for (const key of keys) {
        if ((this as unknown as Record<string, unknown>)[key] !== undefined) {
          issues.push({ path: key, message: `applies to outputs of type "${otherType}", not "${type}"` });
        }
      }
    }
    return issues;
  }
}

/** `[logger.prometheus]`: the seed's separate metrics listener (mocra-ts serves `GET /metrics` on the API). */
export interface LoggerPrometheusConfig {
  readonly enabled?: boolean;
  readonly port?: number;
  readonly path?: string;
}

export class LoggerPrometheusConfigSection implements LoggerPrometheusConfig {
  @ConfigKey({ kind: bool, compat: true, doc: 'Seed: metrics listener switch.' })
  enabled?: boolean;

  @ConfigKey({ kind: intRange(1, 65535), compat: true, doc: 'Seed: metrics listener port.' })
  port?: number;

  @ConfigKey({ kind: nonEmptyStr, compat: true, doc: 'Seed: metrics path.' })
  path?: string;
}

/** `[logger]`: the framework's log output. */
export interface LoggerConfig {
  readonly enabled: boolean;
  readonly level: LogLevel;
  readonly format: LogFormat;
  readonly outputs: readonly LoggerOutputConfig[];
  readonly progress_interval_ms: number;
  readonly include?: readonly string[];
  readonly buffer?: number;
  readonly flush_interval_ms?: number;
  readonly prometheus?: LoggerPrometheusConfig;
}

export class LoggerConfigSection implements LoggerConfig {
  @ConfigKey({
    kind: bool,
    default: true,
    doc: 'Log at all (alias `enable`).',
  })
  enabled!: boolean;

  @ConfigKey({ kind: oneOf(LOG_LEVELS), default: 'info', doc: 'Lowest level written.' })
  level!: LogLevel;

  @ConfigKey({
    kind: oneOf(LOG_FORMATS),
    default: 'text',
    doc: 'Line format: human text or one JSON object per line.',
  })
  format!: LogFormat;

  @ConfigKey({
    kind: tables(() => LoggerOutputConfigSection),
    default: [{ type: 'console' }],
    defaultText: '[{ type = "console" }]',
    doc: 'Where logs go: `{ type = "console" }` or `{ type = "file", path = "..." }`.',
  })
  outputs!: LoggerOutputConfig[];

  @ConfigKey({
    kind: nonNegativeInt,
    default: 1000,
    doc: 'Milliseconds between crawl progress lines (pages, items, errors); 0 = no progress lines.',
  })
  progress_interval_ms!: number;

  @ConfigKey({ kind: stringList, compat: true, doc: 'Seed: log targets to include.' })
  include?: string[];

  @ConfigKey({ kind: positiveInt, compat: true, doc: 'Seed: log buffer size.' })
  buffer?: number;

  @ConfigKey({ kind: nonNegativeInt, compat: true, doc: 'Seed: milliseconds between log flushes.' })
  flush_interval_ms?: number;

  @ConfigKey({
    kind: table(() => LoggerPrometheusConfigSection),
    compat: true,
    doc: 'Seed: separate metrics listener (use `GET /metrics` on [api]).',
  })
  prometheus?: LoggerPrometheusConfig;
}
