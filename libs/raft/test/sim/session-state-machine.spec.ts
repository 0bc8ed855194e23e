import { describe, expect, it } from 'vitest';
import {
  ByteWriter,
  CodecError,
  decodeSessionCommand,
  encodeSessionCommand,
  SessionStateMachine,
  type ReplicatedStateMachine,
} from '../../src/session/index.js';

const text = new TextEncoder();
const untext = new TextDecoder();

/** A counter that appends every command to a journal, so a second application is visible. */
class JournalMachine implements ReplicatedStateMachine {
  journal: string[] = [];
  apply(command: Uint8Array): Uint8Array {
    this.journal.push(untext.decode(command));
    return text.encode(`#${this.journal.length}`);
  }
  snapshot(): Uint8Array {
    return text.encode(JSON.stringify(this.journal));
  }
  restore(snapshot: Uint8Array): void {
    this.journal = JSON.parse(untext.decode(snapshot)) as string[];
  }
}

function request(clientId: string, seq: number, payload: string): Uint8Array {
  return encodeSessionCommand({ kind: 'request', clientId, seq, payload: text.encode(payload) });
}

function open(clientId: string): Uint8Array {
  return encodeSessionCommand({ kind: 'open', clientId });
}

describe('session command codec', () => {
  it('round-trips open and request commands', () => {
    expect(decodeSessionCommand(open('client-é'))).toEqual({ kind: 'open', clientId: 'client-é' });
    const decoded = decodeSessionCommand(request('c1', 2 ** 40, 'put x'));
    expect(decoded).toEqual({ kind: 'request', clientId: 'c1', seq: 2 ** 40, payload: text.encode('put x') });
  });

  it('rejects every truncation and any trailing byte of a valid command', () => {
    const valid = request('c1', 7, 'payload');
    for (let cut = 0; cut < valid.length; cut++) {
      expect(() => decodeSessionCommand(valid.slice(0, cut)), `cut at ${cut}`).toThrow(CodecError);
    }
    const longer = new Uint8Array(valid.length + 1);
    longer.set(valid);
    expect(() => decodeSessionCommand(longer)).toThrow(/trailing/);
  });

  it('rejects a forged payload length, an unknown kind, bad UTF-8, an empty id and seq 0', () => {
    const forgedLength = new ByteWriter().u8(1).u8(2).string('c').u64(1).u32(0xffffffff).finish();
    expect(() => decodeSessionCommand(forgedLength)).toThrow(/payload/);
    expect(() => decodeSessionCommand(new ByteWriter().u8(1).u8(9).string('c').finish())).toThrow(
      /unknown tag 9/,
    );
    const badUtf8 = new ByteWriter().u8(1).u8(1).u16(1).u8(0xff).finish();
    expect(() => decodeSessionCommand(badUtf8)).toThrow(/UTF-8/);
    expect(() => decodeSessionCommand(new ByteWriter().u8(1).u8(1).string('').finish())).toThrow(/empty/);
    const seqZero = new ByteWriter().u8(1).u8(2).string('c').u64(0).bytes(new Uint8Array(0)).finish();
    expect(() => decodeSessionCommand(seqZero)).toThrow(/seq/);
    expect(() => decodeSessionCommand(new ByteWriter().u8(2).finish())).toThrow(/version/);
  });
});

describe('SessionStateMachine', () => {
  it('applies a retried request once and returns the stored result to the duplicate', () => {
    const inner = new JournalMachine();
    const sm = new SessionStateMachine(inner);
    expect(sm.apply(open('c1'), 1)).toMatchObject({ status: 'opened' });
    const first = sm.apply(request('c1', 1, 'a'), 2);
    const retry = sm.apply(request('c1', 1, 'a'), 3);
    expect(first).toMatchObject({ status: 'applied', seq: 1 });
    expect(retry).toMatchObject({ status: 'duplicate', seq: 1 });
    expect(retry.status === 'duplicate' && untext.decode(retry.result)).toBe('#1');
    expect(inner.journal).toEqual(['a']);
    expect(sm.apply(request('c1', 3, 'b'), 4)).toMatchObject({ status: 'applied' });
    expect(sm.apply(request('c1', 2, 'late'), 5)).toMatchObject({ status: 'stale', lastSeq: 3 });
    expect(inner.journal).toEqual(['a', 'b']);
  });

  it('refuses requests without a session, and treats empty and malformed entries as no-ops', () => {
    const inner = new JournalMachine();
    const sm = new SessionStateMachine(inner);
    expect(sm.apply(request('ghost', 1, 'x'), 1)).toMatchObject({ status: 'session_expired' });
    expect(sm.apply(new Uint8Array(0), 2)).toEqual({ status: 'noop' });
    expect(sm.apply(Uint8Array.of(1, 2, 0, 5), 3)).toMatchObject({ status: 'rejected' });
    expect(inner.journal).toEqual([]);
  });

  it('evicts the least recently active client when the table is full', () => {
    const sm = new SessionStateMachine(new JournalMachine(), { maxClients: 2 });
    sm.apply(open('a'), 1);
    sm.apply(open('b'), 2);
    sm.apply(request('a', 1, 'x'), 3); // a is now more recent than b
    expect(sm.apply(open('c'), 4)).toEqual({ status: 'opened', clientId: 'c', evicted: ['b'] });
    expect(sm.apply(request('b', 1, 'y'), 5)).toMatchObject({ status: 'session_expired' });
    expect(sm.apply(request('a', 1, 'x'), 6)).toMatchObject({ status: 'duplicate' });
  });

  it('expires idle sessions by log index, identically on every replica', () => {
    const replicas = [0, 1].map(
      () => new SessionStateMachine(new JournalMachine(), { idleExpiryEntries: 5 }),
    );
    for (const sm of replicas) {
      sm.apply(open('old'), 1);
      sm.apply(open('busy'), 2);
      sm.apply(request('busy', 1, 'x'), 6);
      expect(sm.apply(request('old', 1, 'x'), 7)).toMatchObject({ status: 'session_expired' });
      expect(sm.apply(request('busy', 2, 'y'), 11)).toMatchObject({ status: 'applied' });
    }
    expect(replicas[0]?.snapshot()).toEqual(replicas[1]?.snapshot());
  });

  it('carries the session table in the snapshot, so a restored replica still deduplicates', () => {
    const source = new SessionStateMachine(new JournalMachine(), { maxClients: 3 });
    source.apply(open('a'), 1);
    source.apply(request('a', 1, 'first'), 2);
    source.apply(open('b'), 3);
    const restoredInner = new JournalMachine();
    const restored = new SessionStateMachine(restoredInner, { maxClients: 3 });
    restored.restore(source.snapshot());
    expect(restoredInner.journal).toEqual(['first']);
    expect(restored.sessions.list().map((s) => s.clientId)).toEqual(['a', 'b']);
    const retry = restored.apply(request('a', 1, 'first'), 4);
    expect(retry.status === 'duplicate' && untext.decode(retry.result)).toBe('#1');
    expect(restoredInner.journal).toEqual(['first']);
  });

  it('rejects a corrupt snapshot and keeps its previous state', () => {
    const sm = new SessionStateMachine(new JournalMachine());
    sm.apply(open('a'), 1);
    const good = sm.snapshot();
    const other = new SessionStateMachine(new JournalMachine());
    other.apply(open('keep'), 1);
    expect(() => other.restore(good.slice(0, good.length - 1))).toThrow(CodecError);
    const forgedCount = new ByteWriter().u8(1).u32(0xffffffff).finish();
    expect(() => other.restore(forgedCount)).toThrow(/sessionCount/);
    expect(other.sessions.list().map((s) => s.clientId)).toEqual(['keep']);
  });
});
