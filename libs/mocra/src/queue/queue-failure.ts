import { ERROR_KINDS, type ErrorKind } from './envelope.js';

const ERROR_KIND_SET: ReadonlySet<string> = new Set(ERROR_KINDS);

/** The policy kind a handler's error carries (`err.kind`), or 'Queue' when it names none. */
export function errorKindOf(err: unknown): ErrorKind {
  const kind = typeof err === 'object' && err !== null ? (err as { kind?: unknown }).kind : undefined;
  return typeof kind === 'string' && ERROR_KIND_SET.has(kind) ? (kind as ErrorKind) : 'Queue';
}

/** The dead-letter reason of a handler's error. */
export function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
