import type { Logger } from '@nestjs/common';
import { WORKER_ROLES, type WorkerRole } from '../config/sections/crawler.config.js';
import type { MocraConfig } from '../config/mocra-config.js';
import type { PipelineEnvelope, Route } from '../queue/envelope.js';
import type { CrawlerRegistry } from './crawler.registry.js';

/** What this process runs: its stages (`[crawler] roles`) and the worker groups it serves. */
export interface ProcessRoles {
  readonly ingress: boolean;
  readonly download: boolean;
  /** Parse and store: items are stored where they are parsed. */
  readonly parse: boolean;
  /** Worker groups consumed here; empty on local queues, where placement does not apply. */
  readonly workerGroups: readonly string[];
  /** Whether placed nodes' work goes to their worker group's topics (distributed queues only). */
  readonly placementRouted: boolean;
}

/**
 * Resolves and checks the roles against the queue backend and the compiled DAGs. Local queues live in one process,
 * so that process must run every stage, and placement is ignored (logged once when some node asks for it).
 */
export function resolveProcessRoles(
  config: MocraConfig,
  distributed: boolean,
  registry: CrawlerRegistry,
  logger: Logger,
): ProcessRoles {
  const roles = new Set<WorkerRole>(config.crawler.roles);
  const placed: string[] = [];
  for (const mod of registry.all()) {
    for (const node of mod.dag.nodes.values()) {
      const group = node.placement?.workerGroup;
      if (group === undefined) continue;
      if (!/^[A-Za-z0-9_-]{1,100}$/.test(group)) {
        throw new Error(
          `module "${mod.name}" node "${node.key}": placement.workerGroup ${JSON.stringify(group)} must be 1 to ` +
            '100 letters, digits, "_" or "-" (it names Kafka topics)',
        );
      }
      placed.push(`${mod.name}/${node.key} -> ${group}`);
    }
  }
  if (!distributed) {
    const missing = WORKER_ROLES.filter((r) => !roles.has(r));
    if (missing.length > 0) {
      throw new Error(
        `crawler.roles = ${JSON.stringify(config.crawler.roles)} leaves out ${missing.map((r) => `"${r}"`).join(', ')}, ` +
          'but without [channel_config.kafka] the queues are local to this process, so it must run every stage: ' +
          'configure Kafka to split stages across processes, or remove crawler.roles',
      );
    }
    if (placed.length > 0) {
      logger.log(`placement ignored on local queues, this process runs every node (${placed.join(', ')})`);
    }
  }
  return {
    ingress: roles.has('ingress'),
    download: roles.has('download'),
    parse: roles.has('parse'),
    workerGroups: distributed ? config.crawler.worker_groups : [],
    placementRouted: distributed,
  };
}

/** The worker group of the node an envelope's work belongs to (routing.nodeKey: the generating or parsing node). */
export function workerGroupOf(
  registry: CrawlerRegistry,
  _route: Route,
  envelope: PipelineEnvelope,
): string | undefined {
  return registry.get(envelope.routing.module)?.dag.nodes.get(envelope.routing.nodeKey)?.placement
    ?.workerGroup;
}
