import { randomUUID } from 'node:crypto';
import type { DeadLetterStore } from './dlq/dead-letter.store.js';
import { ERROR_KINDS, type DeadLetterEnvelope, type ErrorKind } from './envelope.js';
import type { DeadLetterFailure, QueueMessage } from './queue-manager.js';

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

/** The dead letter every backend stores for a message that failed for good. */
export function buildDeadLetter(
  namespace: string,
  msg: QueueMessage,
  failure: DeadLetterFailure,
  failedAtMs: number,
): DeadLetterEnvelope {
  return {
    kind: 'dead_letter',
    id: randomUUID(),
    namespace,
    sourceRoute: msg.route,
    sourcePriority: msg.priority,
    reason: failure.reason,
    errorKind: failure.errorKind,
    attempt: failure.attempt,
    failedAtMs,
    module: msg.envelope.routing.module,
    payload: msg.envelope,
  };
}

/**
 * Puts a dead letter back on its source route and priority. The record is removed first, so concurrent requeues
 * of one id publish it once; if the publish fails, the record is restored.
 */
export async function requeueFromDeadLetterStore(
  dlq: DeadLetterStore,
  id: string,
  publish: (dl: DeadLetterEnvelope) => Promise<void>,
): Promise<boolean> {
  const dl = await dlq.get(id);
  if (dl === undefined) return false;
  if (!(await dlq.remove(id))) return false;
  try {
    await publish(dl);
  } catch (err) {
    await dlq.add(dl);
    throw err;
  }
  return true;
}
