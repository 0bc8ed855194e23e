import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MocraService } from '@mocra/core';
import { ProposalDroppedError, RaftTimeoutError } from '@mocra/raft';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSite, type TestSite } from '../control/control-fixtures.js';
import { api, bootRaftApp, freePort, type RaftApp } from './raft-app-fixtures.js';

interface ModuleView {
  settings: { rateLimit?: number; concurrency: number };
}

/** One process founding its own cluster: the whole crawl and control plane through the replicated log. */
describe('RaftService in one mocra app (founding member, cache.backend = "raft")', () => {
  let site: TestSite;
  let root: string;
  const open: RaftApp[] = [];

  beforeAll(async () => {
    site = await startSite(30);
    root = mkdtempSync(join(tmpdir(), 'mocra-raft-service-'));
  });

  afterEach(async () => {
    for (const app of open.splice(0)) await app.close();
  });

  afterAll(async () => {
    await site.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function boot(dataDir: string, name = 'smoke', addr?: string): Promise<RaftApp> {
    const app = await bootRaftApp({
      site,
      name,
      addr: addr ?? `127.0.0.1:${await freePort()}`,
      dataDir,
    });
    open.push(app);
    return app;
  }

  it('crawls, leads itself, lists itself, replicates pause and module settings, and keeps them across a restart', async () => {
    const dataDir = join(root, 'member');
    const addr = `127.0.0.1:${await freePort()}`;
    const first = await boot(dataDir, 'smoke', addr);

    const run = await first.app.get(MocraService).dispatch({ module: ['shop'] });
    const summary = await run.finished;
    expect(summary.items).toBe(30);
    expect(first.store.items).toHaveLength(30);

    const leader = await api(first.url, 'GET', '/cluster/leader');
    expect(leader).toMatchObject({
      status: 200,
      json: { mode: 'raft', leaderId: addr, leaderAddr: addr, isLocalLeader: true },
    });
    // the node registry is written at bootstrap; the first heartbeat may still be on its way
    await expect
      .poll(async () => (await api(first.url, 'GET', '/cluster/nodes')).json)
      .toMatchObject([{ id: `node-${addr}`, raftAddr: addr, alive: true, self: true }]);

    // each member publishes its counters into the replicated status table with its heartbeat
    await expect
      .poll(async () => (await api(first.url, 'GET', '/debug/status/cluster')).json, { timeout: 10_000 })
      .toMatchObject([{ nodeId: `node-${addr}`, stats: { items: 30 } }]);

    const health = await api(first.url, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({
      info: { raft: { status: 'up', leaderId: addr }, cache: { status: 'up' } },
    });
    const metrics = await (await fetch(`${first.url}/metrics`)).text();
    expect(metrics).toMatch(/^mocra_raft_is_leader\{[^}]*\} 1$/m);

    expect((await api(first.url, 'POST', '/control/pause')).json).toEqual({ paused: true });
    expect(first.raft.client.pauseGet().paused).toBe(true);
    expect((await api(first.url, 'POST', '/control/resume')).json).toEqual({ paused: false });
    expect(first.raft.client.pauseGet().paused).toBe(false);

    const patched = await api(first.url, 'PATCH', '/config/modules/shop', { rate_limit: 7, concurrency: 3 });
    expect(patched.status).toBe(200);
    expect((patched.json as ModuleView).settings).toMatchObject({ rateLimit: 7, concurrency: 3 });
    expect(first.raft.client.configGet('module:shop')?.value).toMatchObject({ rateLimit: 7, concurrency: 3 });

    await first.close();
    open.splice(open.indexOf(first), 1);

    // the same member on the same log: the replicated settings come back from the log and are applied
    const again = await boot(dataDir, 'smoke', addr);
    expect(again.raft.client.configGet('module:shop')?.value).toMatchObject({ rateLimit: 7, concurrency: 3 });
    await expect
      .poll(async () => ((await api(again.url, 'GET', '/config/modules/shop')).json as ModuleView).settings)
      .toMatchObject({ rateLimit: 7, concurrency: 3 });
    const rerun = await again.app.get(MocraService).dispatch({ module: ['shop'] });
    expect((await rerun.finished).items).toBe(30);
  });

  // @mocra/raft is loaded by start(), not by importing RaftService, so the class check goes through the member
  it('tells a Raft timeout (a write of unknown outcome, which serial dispatch asks again) from other errors', async () => {
    const member = await boot(join(root, 'timeouts'));
    expect(member.raft.isTimeout(new RaftTimeoutError('proposal', 'n1', 10))).toBe(true);
    expect(member.raft.isTimeout(new ProposalDroppedError('no leader'))).toBe(false);
    expect(member.raft.isTimeout(new Error('raft node n1: proposal did not complete within 10 ms'))).toBe(
      false,
    );
  });

  it('refuses a data_dir written by a cluster of another name, naming both', async () => {
    const dataDir = join(root, 'other-cluster');
    const addr = `127.0.0.1:${await freePort()}`;
    const owner = await boot(dataDir, 'alpha', addr);
    await owner.close();
    open.splice(open.indexOf(owner), 1);

    await expect(boot(dataDir, 'beta', addr)).rejects.toThrow(/alpha[\s\S]*beta|beta[\s\S]*alpha/);
  });

  it('fails startup naming the peers when none of them answers', async () => {
    const dead = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
    const started = bootRaftApp({
      site,
      name: 'smoke',
      addr: `127.0.0.1:${await freePort()}`,
      dataDir: join(root, 'joiner'),
      peers: dead,
    });
    await expect(started).rejects.toThrow(new RegExp(`peers.*${dead[0]!}.*${dead[1]!}`));
  }, 40_000);
});
