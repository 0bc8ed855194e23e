// Child process of the close test (run with `node --import <ts-register.mjs>`): it exchanges messages and a
// request, leaves a reconnect timer, a pending request and idle connections behind, closes both transports, and
// must then exit by itself: any handle left open would keep it alive.
import { TcpTransport } from '../../../src/transport/tcp-transport.js';
import { freePort } from './free-port.js';
import { message, RecordingHandlers } from './recording-handlers.js';

const ha = new RecordingHandlers();
const hb = new RecordingHandlers(async (_kind, body) => body);
const a = new TcpTransport({ nodeId: 'a', clusterId: 'c', listen: { host: '127.0.0.1', port: 0 } });
const b = new TcpTransport({ nodeId: 'b', clusterId: 'c', listen: { host: '127.0.0.1', port: 0 } });
await a.start(ha);
const bAddress = await b.start(hb);
a.setPeer('b', bAddress);
a.setPeer('down', `127.0.0.1:${await freePort()}`);
a.send([
  message({ type: 'app', from: 'a', to: 'b', index: 1 }),
  message({ type: 'app', from: 'a', to: 'down' }),
]);
await hb.until(() => hb.messages.length === 1, 'delivery');
await ha.until(() => ha.unreachable.includes('down'), 'a reconnect round for the down peer');
const answer = await a.request(bAddress, 'echo', new Uint8Array([42]), 5000);
const hanging = new TcpTransport({ nodeId: 'h', clusterId: 'c', listen: { host: '127.0.0.1', port: 0 } });
const hangingAddress = await hanging.start(new RecordingHandlers(() => new Promise<Uint8Array>(() => {})));
const pending = a.request(hangingAddress, 'hang', new Uint8Array(0), 60_000).catch((e: Error) => e.message);
await new Promise((r) => setTimeout(r, 50));
await Promise.all([a.close(), b.close(), hanging.close()]);
console.log(`CLOSED answer=${answer[0]} pending=${await pending}`);
