import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { startMocraHttp } from '@mocra/core';
import { ClusterNodeApp } from './cluster-node.app.js';

/**
 * One process of a Raft-coordinated cluster: `node dist/src/cluster-node/cluster-node.main.js <config.toml>`.
 * The config's `[raft]` says whether it founds the cluster (no peers) or joins through a member; `[api]` serves the
 * control plane. Prints `[ready] {"url": ...}` once it is a member and listens; serves until SIGTERM. Items go to
 * MOCRA_OUTPUT (default output/cluster-items.jsonl).
 */
async function main(): Promise<void> {
  const config = process.argv[2];
  if (config === undefined) throw new Error('usage: cluster-node.main.js <config.toml>');
  const output = process.env['MOCRA_OUTPUT'] ?? 'output/cluster-items.jsonl';
  const app = await NestFactory.create(ClusterNodeApp.register({ config, output }), new FastifyAdapter(), {
    logger: ['error', 'warn', 'log'],
    abortOnError: false,
  });
  const address = await startMocraHttp(app);
  console.log(`[ready] ${JSON.stringify({ url: address?.url ?? null })}`);
  process.once('SIGTERM', () => {
    void app.close().then(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
