import { connect, type Socket } from 'node:net';
import { parsePeerAddress } from '../../../src/transport/peer-address.js';

export interface RawExchange {
  /** Whether the transport closed the connection before we ended our side. */
  closedByRemote: boolean;
  received: Buffer;
}

/**
 * Talks to a transport through a bare socket: writes the given bytes, then (unless the remote already closed)
 * ends our side so the remote handles everything it got, and resolves once the connection is closed.
 */
export function rawExchange(
  address: string,
  bytes: readonly Uint8Array[],
  endOurSide = true,
): Promise<RawExchange> {
  const { host, port } = parsePeerAddress(address);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host, port });
    const received: Buffer[] = [];
    let ended = false;
    const bound = setTimeout(() => {
      socket.destroy();
      reject(new Error(`raw connection to ${address} did not close`));
    }, 20_000);
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', () => {});
    socket.on('end', () => {
      if (!ended) socket.end();
    });
    socket.on('close', () => {
      clearTimeout(bound);
      resolve({ closedByRemote: !ended, received: Buffer.concat(received) });
    });
    socket.once('connect', () => {
      for (const b of bytes) socket.write(b);
      if (endOurSide) {
        // After our writes: the remote sees our FIN only once it read every byte before it.
        socket.end(() => (ended = true));
      }
    });
  });
}

export function withLengthPrefix(payload: Uint8Array, length = payload.length): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(length >>> 0, 0);
  out.set(payload, 4);
  return out;
}
