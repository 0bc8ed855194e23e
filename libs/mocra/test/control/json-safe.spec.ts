import { describe, expect, it } from 'vitest';
import { toJsonSafe } from '../../src/control/json-safe.js';

describe('toJsonSafe', () => {
  it('renders byte arrays inside envelopes as base64 with their length, leaving other data as is', () => {
    const backing = new Uint8Array([0, 104, 105, 33, 0]);
    const envelope = {
      kind: 'response',
      response: { status: 500, body: backing.subarray(1, 4), headers: { a: 'b' } },
      list: [new Uint8Array([255]), 1, null, 'x'],
    };
    expect(JSON.parse(JSON.stringify(toJsonSafe(envelope)))).toEqual({
      kind: 'response',
      response: { status: 500, body: { base64: 'aGkh', bytes: 3 }, headers: { a: 'b' } },
      list: [{ base64: '/w==', bytes: 1 }, 1, null, 'x'],
    });
  });
});
