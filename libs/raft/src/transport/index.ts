export type { RaftTransport, RaftTransportHandlers } from './raft-transport.js';
export { TcpTransport, type TcpTransportOptions, type TcpTransportStats } from './tcp-transport.js';
export type { PeerStats } from './peer-link.js';
export type { TransportTotals } from './transport-context.js';
export type { BackoffOptions } from './reconnect-backoff.js';
export { RaftRequestError } from './request-client.js';
export { WireDecodeError } from './wire-decode.error.js';
