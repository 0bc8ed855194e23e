import { RaftUsageError } from './errors.js';
import type { ConfChange, ConfChangeSingle, ConfChangeType } from './types.js';

// Conf change entries carry their ConfChange as JSON; context bytes travel as a number array.

const TYPES: ReadonlySet<string> = new Set<ConfChangeType>(['add_node', 'add_learner', 'remove_node']);

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const wire: Record<string, unknown> = {
    changes: cc.changes.map((c) => ({ type: c.type, nodeId: c.nodeId })),
  };
  if (cc.transition !== undefined) wire['transition'] = cc.transition;
  if (cc.context !== undefined) wire['context'] = Array.from(cc.context);
  return new TextEncoder().encode(JSON.stringify(wire));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(data));
  } catch (e) {
    throw new RaftUsageError(`decodeConfChange: entry data is not JSON (${String(e)})`);
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !Array.isArray((parsed as { changes?: unknown }).changes)
  ) {
    throw new RaftUsageError('decodeConfChange: entry data has no changes array');
  }
  const obj = parsed as { changes: unknown[]; transition?: unknown; context?: unknown };
  const changes: ConfChangeSingle[] = obj.changes.map((c, i) => {
    const rec = c as { type?: unknown; nodeId?: unknown };
    if (typeof rec.type !== 'string' || !TYPES.has(rec.type) || typeof rec.nodeId !== 'string') {
      throw new RaftUsageError(`decodeConfChange: change #${i} is malformed`);
    }
    return { type: rec.type as ConfChangeType, nodeId: rec.nodeId };
  });
  const cc: ConfChange = { changes };
  if (obj.transition === 'auto' || obj.transition === 'explicit') cc.transition = obj.transition;
  if (Array.isArray(obj.context)) cc.context = Uint8Array.from(obj.context as number[]);
  return cc;
}
