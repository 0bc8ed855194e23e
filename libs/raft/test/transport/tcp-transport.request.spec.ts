import { afterEach, describe, expect, it } from 'vitest';
import type { RaftTransportHandlers } from '../../src/transport/raft-transport.js';
import { RaftRequestError } from '../../src/transport/request-client.js';
import { TcpTransport, type TcpTransportOptions } from '../../src/transport/tcp-transport.js';
import { freePort } from './support/free-port.js';
import { RecordingHandlers } from './support/recording-handlers.js';

const open: TcpTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

async function server(
  onRequest?: RaftTransportHandlers['onRequest'],
  extra: Partial<TcpTransportOptions> = {},
): Promise<{ t: TcpTransport; address: string }> {
  const t = new TcpTransport({
    nodeId: 'srv',
    clusterId: 'c1',
    listen: { host: '127.0.0.1', port: 0 },
    ...extra,
  });
  open.push(t);
  return { t, address: await t.start(new RecordingHandlers(onRequest)) };
}

async function client(clusterId = 'c1'): Promise<TcpTransport> {
  const t = new TcpTransport({ nodeId: 'cli', clusterId, listen: { host: '127.0.0.1', port: 0 } });
  open.push(t);
  await t.start(new RecordingHandlers());
  return t;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

const echo: RaftTransportHandlers['onRequest'] = async (kind, body, from) => {
  if (kind === 'echo') return enc(`${from}:${dec(body)}`);
  if (kind === 'fail') throw new Error('the handler refused');
  throw new Error(`unknown request kind '${kind}'`);
};

describe('TcpTransport request/response', () => {
  it('runs the remote handler and returns its answer, with the caller id', async () => {
    const { address } = await server(echo);
    const c = await client();
    expect(dec(await c.request(address, 'echo', enc('hi'), 5000))).toBe('cli:hi');
  });

  it('multiplexes concurrent requests over one connection and matches answers by id', async () => {
    const { address } = await server(async (_kind, body) => {
      // Answer in reverse order of arrival so ids, not order, must match them up.
      await new Promise((r) => setTimeout(r, 100 - body[0]!));
      return body;
    });
    const c = await client();
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => c.request(address, 'k', new Uint8Array([i]), 10_000)),
    );
    expect(answers.map((a) => a[0])).toStrictEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('turns a handler error into a rejection naming the address, the kind and the message', async () => {
    const { address } = await server(echo);
    const c = await client();
    const error = await c.request(address, 'fail', enc(''), 5000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RaftRequestError);
    expect((error as Error).message).toBe(
      `raft transport: request 'fail' to ${address} failed on the remote: the handler refused`,
    );
  });

  it('answers an unknown kind with an error response, and the connection keeps working', async () => {
    const { address } = await server(echo);
    const c = await client();
    await expect(c.request(address, 'nope', enc(''), 5000)).rejects.toThrow(
      `request 'nope' to ${address} failed on the remote: unknown request kind 'nope'`,
    );
    expect(dec(await c.request(address, 'echo', enc('again'), 5000))).toBe('cli:again');
  });

  it('answers with an error when the node has no request handler', async () => {
    const { address } = await server(undefined);
    const c = await client();
    await expect(c.request(address, 'echo', enc(''), 5000)).rejects.toThrow(
      /serves no requests \(kind 'echo'\)/,
    );
  });

  it('times out naming the address, and a later call on the same connection still works', async () => {
    let release: (() => void) | undefined;
    const { address } = await server(async (kind, body) => {
      if (kind === 'hang') await new Promise<void>((r) => (release = r));
      return body;
    });
    const c = await client();
    await expect(c.request(address, 'hang', enc(''), 200)).rejects.toThrow(
      `raft transport: request 'hang' to ${address} timed out after 200 ms`,
    );
    release?.();
    expect(dec(await c.request(address, 'ok', enc('fine'), 5000))).toBe('fine');
  });

  it('rejects when nothing listens at the address, naming it', async () => {
    const port = await freePort();
    const c = await client();
    await expect(c.request(`127.0.0.1:${port}`, 'echo', enc(''), 5000)).rejects.toThrow(
      new RegExp(`request 'echo' to 127\\.0\\.0\\.1:${port} failed: .*ECONNREFUSED`),
    );
  });

  it('rejects a request to a node of another cluster without running its handler', async () => {
    let ran = false;
    const { t, address } = await server(async (_k, body) => {
      ran = true;
      return body;
    });
    const c = await client('other');
    await expect(c.request(address, 'echo', enc(''), 5000)).rejects.toThrow(
      /handshake rejected: cluster id 'c1' is not 'other'/,
    );
    expect(ran).toBe(false);
    expect(t.stats().rejectedHandshakes).toBe(1);
  });

  it('rejects a malformed address with a clear error', async () => {
    const c = await client();
    await expect(c.request('no-port', 'echo', enc(''), 5000)).rejects.toThrow(
      /address 'no-port' is not host:port/,
    );
  });

  it('refuses a body above maxFrameBytes before sending it, and the connection stays usable', async () => {
    const { address } = await server(echo);
    const c = new TcpTransport({
      nodeId: 'cli',
      clusterId: 'c1',
      listen: { host: '127.0.0.1', port: 0 },
      maxFrameBytes: 1024,
    });
    open.push(c);
    await c.start(new RecordingHandlers());
    expect(dec(await c.request(address, 'echo', enc('small'), 5000))).toBe('cli:small');
    await expect(c.request(address, 'echo', new Uint8Array(2000), 5000)).rejects.toThrow(
      /request 'echo' to .* body of 2000 bytes exceeds maxFrameBytes 1024/,
    );
    expect(dec(await c.request(address, 'echo', enc('still'), 5000))).toBe('cli:still');
  });

  it('rejects pending requests when the transport closes', async () => {
    const { address } = await server(() => new Promise<Uint8Array>(() => {}));
    const c = await client();
    const pending = c.request(address, 'hang', enc(''), 30_000);
    await new Promise((r) => setTimeout(r, 50));
    await c.close();
    await expect(pending).rejects.toThrow(`request 'hang' to ${address} failed: transport closed`);
  });
});
