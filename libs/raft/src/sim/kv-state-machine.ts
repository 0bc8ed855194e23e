import type { KvOutput } from '../linearizability/kv.model.js';
import { ByteReader } from '../session/byte-reader.js';
import { ByteWriter } from '../session/byte-writer.js';
import { CodecError } from '../session/codec.error.js';
import type { ReplicatedStateMachine } from '../session/replicated-state-machine.js';
import { decodeKvInput, encodeKvOutput } from './kv-command.codec.js';

/** A string key-value store (every key starts as "") driven by the simulator's clients. */
export class KvStateMachine implements ReplicatedStateMachine {
  private readonly values = new Map<string, string>();

  get(key: string): string {
    return this.values.get(key) ?? '';
  }

  apply(command: Uint8Array): Uint8Array {
    try {
      return encodeKvOutput(this.execute(command));
    } catch (error) {
      // every replica sees the same bytes: a malformed command is a deterministic no-op, never a crash
      if (error instanceof CodecError) return encodeKvOutput({});
      throw error;
    }
  }

  snapshot(): Uint8Array {
    const keys = [...this.values.keys()].sort();
    const writer = new ByteWriter().u32(keys.length);
    for (const key of keys) writer.string(key).string(this.values.get(key) ?? '');
    return writer.finish();
  }

  restore(snapshot: Uint8Array): void {
    const reader = new ByteReader(snapshot, 'KvSnapshot');
    const count = reader.u32('count');
    const staged = new Map<string, string>();
    for (let i = 0; i < count; i++) {
      staged.set(reader.string(`keys[${i}]`, 1024), reader.string(`values[${i}]`, 0xffff));
    }
    reader.end();
    this.values.clear();
    for (const [key, value] of staged) this.values.set(key, value);
  }

  private execute(command: Uint8Array): KvOutput {
    const input = decodeKvInput(command);
    const current = this.get(input.key);
    switch (input.op) {
      case 'get':
        return { value: current };
      case 'put':
        this.values.set(input.key, input.value ?? '');
        return {};
      case 'append':
        this.values.set(input.key, current + (input.value ?? ''));
        return {};
      case 'cas':
        if (current !== input.expected) return { ok: false };
        this.values.set(input.key, input.value);
        return { ok: true };
    }
  }
}
