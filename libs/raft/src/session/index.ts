export { ByteReader } from './byte-reader.js';
export { ByteWriter } from './byte-writer.js';
export type { ClientSession } from './client-session.js';
export { CodecError } from './codec.error.js';
export type { ReplicatedStateMachine } from './replicated-state-machine.js';
export {
  decodeSessionCommand,
  encodeSessionCommand,
  MAX_CLIENT_ID_BYTES,
  MAX_SESSION_PAYLOAD_BYTES,
  SESSION_COMMAND_VERSION,
  type SessionCommand,
} from './session-command.codec.js';
export {
  SessionStateMachine,
  type SessionApplyResult,
  type SessionOptions,
} from './session-state-machine.js';
export { SessionTable } from './session-table.js';
