import { describe, expect, it } from 'vitest';
import {
  CoordinationClient,
  CoordinationCommandError,
  CoordinationStateMachine,
} from '../../../src/raft/coordination/index.js';
import { fakeClock } from '../../cache/cache-service.contract.js';
import { InProcessPort } from './support/in-process-port.js';

// Unit tests of CoordinationClient over one replica behind an in-process port (no Raft in between).
function setup(): { client: CoordinationClient; port: InProcessPort; clock: ReturnType<typeof fakeClock> } {
  const clock = fakeClock(1_700_000_000_000);
  const machine = new CoordinationStateMachine();
  const port = new InProcessPort(machine);
  return { client: new CoordinationClient(port, machine, { clock: clock.now }), port, clock };
}

describe('CoordinationClient (unit test, in-process port)', () => {
  it('stamps commands with its clock, which becomes the replicated clock', async () => {
    const { client, port, clock } = setup();
    clock.advance(1234);
    expect(await client.tick()).toBe(1_700_000_001_234);
    expect(port.machine.clock).toBe(1_700_000_001_234);
  });

  it('round-trips cache values of every kind, with batch and compare-and-set', async () => {
    const { client } = setup();
    const values = [
      new Uint8Array([0, 255]),
      'text',
      42,
      1.5,
      true,
      null,
      [1, 'a', { b: 2 }],
      { nested: { x: [1] } },
      new Date(1_700_000_000_000),
      [1, undefined, 2],
    ];
    for (const [i, value] of values.entries()) await client.cacheSet(`k${i}`, value);
    for (const [i, value] of values.entries()) expect(await client.cacheGet(`k${i}`)).toEqual(value);
    expect(await client.cacheCompareAndSet('k1', 'text', 'new')).toBe(true);
    expect(await client.cacheCompareAndSet('k1', 'text', 'newer')).toBe(false);
    expect(await client.cacheGet('k1', { linearizable: true })).toBe('new');
    expect(
      await client.cacheBatch([
        { op: 'set', key: 'a', value: { v: 1 } },
        { op: 'incr', key: 'n', by: 5 },
        { op: 'del', key: 'k0' },
      ]),
    ).toEqual([null, 5, true]);
    await expect(client.cacheSet('bad', { s: Symbol('x') })).rejects.toThrow(
      /cache set "bad".*cannot be encoded/,
    );
  });

  it('chooses linearizable reads for locks and cron, local reads for cache, status, config, pause and nodes', async () => {
    const { client, port } = setup();
    const grant = await client.lockAcquire('module:a', 'n1', 5_000);
    expect(await client.lockGet('module:a')).toEqual({
      holder: 'n1',
      token: grant.token,
      expiresAt: grant.expiresAt,
    });
    await client.cronClaim('s', 1_700_000_000_000, 'n1');
    expect(await client.cronLastFired('s')).toMatchObject({ fireTime: 1_700_000_000_000, nodeId: 'n1' });
    expect(port.reads).toBe(2);
    await client.cacheGet('x');
    client.statusList('');
    client.configList();
    client.pauseGet();
    client.nodeList(1_000);
    expect(port.reads).toBe(2);
    expect(port.localReads).toBe(5);
  });

  it('keeps status, config, pause and the node registry', async () => {
    const { client, clock } = setup();
    await client.statusPut('run/catalog/1', { pages: 3 }, 60_000);
    await client.statusPut('run/catalog/2', { pages: 1 });
    await client.statusPut('run/other/1', { pages: 9 });
    expect(client.statusList('run/catalog/').map((r) => [r.key, r.value])).toEqual([
      ['run/catalog/1', { pages: 3 }],
      ['run/catalog/2', { pages: 1 }],
    ]);
    expect(client.statusList('run/', 1)).toHaveLength(1);
    clock.advance(60_000);
    expect(client.statusGet('run/catalog/1')).toBeUndefined();

    const r1 = await client.configPut('catalog', { rateLimit: 5 });
    const r2 = await client.configPut('catalog', { rateLimit: 6 });
    expect(r2).toBeGreaterThan(r1);
    expect(client.configGet('catalog')).toMatchObject({ value: { rateLimit: 6 }, revision: r2 });
    expect(await client.configDel('catalog')).toBe(true);
    expect(client.configList()).toEqual([]);

    expect(await client.pauseSet(true, 'api@n2', 'deploy')).toMatchObject({
      paused: true,
      by: 'api@n2',
      reason: 'deploy',
    });
    expect(client.pauseGet().paused).toBe(true);

    await client.nodeRegister('n1', '10.0.0.1:7000', { version: '0.1.0' });
    await client.nodeRegister('n2', '10.0.0.2:7000');
    clock.advance(3_000);
    await client.nodeHeartbeat('n2');
    expect(client.nodeList(2_000).map((n) => [n.nodeId, n.alive])).toEqual([
      ['n1', false],
      ['n2', true],
    ]);
    await expect(client.nodeHeartbeat('ghost')).rejects.toThrow(CoordinationCommandError);
    await expect(client.nodeHeartbeat('ghost')).rejects.toThrow(/node "ghost" is not registered/);
    expect(await client.nodeRemove('n1')).toBe(true);
    expect(client.nodeList(2_000).map((n) => n.nodeId)).toEqual(['n2']);
  });

  it('rejects a lease that is not a positive number before proposing', async () => {
    const { client, port } = setup();
    await expect(client.lockAcquire('L', 'a', 0)).rejects.toThrow(/lease must be a positive number/);
    expect(port.proposals).toBe(0);
  });
});
