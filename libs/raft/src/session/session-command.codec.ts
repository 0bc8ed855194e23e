import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { CodecError } from './codec.error.js';

/**
 * What a client proposes through the log. `open` starts a session (idempotent: it never touches the user state
 * machine); `request` carries the client's sequence number, so a retried proposal applies exactly once.
 */
export type SessionCommand =
  | { kind: 'open'; clientId: string }
  | { kind: 'request'; clientId: string; seq: number; payload: Uint8Array };

export const SESSION_COMMAND_VERSION = 1;
export const MAX_CLIENT_ID_BYTES = 128;
export const MAX_SESSION_PAYLOAD_BYTES = 16 * 1024 * 1024;

const TAG_OPEN = 1;
const TAG_REQUEST = 2;
const STRUCTURE = 'SessionCommand';

export function encodeSessionCommand(command: SessionCommand): Uint8Array {
  const writer = new ByteWriter().u8(SESSION_COMMAND_VERSION);
  if (command.clientId.length === 0) throw new RangeError('SessionCommand.clientId must not be empty');
  if (command.kind === 'open') return writer.u8(TAG_OPEN).string(command.clientId).finish();
  if (!Number.isSafeInteger(command.seq) || command.seq < 1) {
    throw new RangeError(`SessionCommand.seq must be a positive safe integer, got ${command.seq}`);
  }
  return writer.u8(TAG_REQUEST).string(command.clientId).u64(command.seq).bytes(command.payload).finish();
}

/** Decodes one command; throws CodecError (naming the field and offset) on any malformed input. */
export function decodeSessionCommand(data: Uint8Array): SessionCommand {
  const reader = new ByteReader(data, STRUCTURE);
  const version = reader.u8('version');
  if (version !== SESSION_COMMAND_VERSION) {
    throw new CodecError(STRUCTURE, 'version', 0, `unsupported version ${version}`);
  }
  const tag = reader.tag('kind', [TAG_OPEN, TAG_REQUEST]);
  const clientIdAt = reader.position;
  const clientId = reader.string('clientId', MAX_CLIENT_ID_BYTES);
  if (clientId.length === 0) throw new CodecError(STRUCTURE, 'clientId', clientIdAt, 'is empty');
  if (tag === TAG_OPEN) {
    reader.end();
    return { kind: 'open', clientId };
  }
  const seqAt = reader.position;
  const seq = reader.u64('seq');
  if (seq < 1) throw new CodecError(STRUCTURE, 'seq', seqAt, 'must be at least 1');
  const payload = reader.bytes('payload', MAX_SESSION_PAYLOAD_BYTES);
  reader.end();
  return { kind: 'request', clientId, seq, payload };
}
