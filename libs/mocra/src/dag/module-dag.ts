import type { CrawlerNode } from '../engine/crawler-node.interface.js';
import type { NodePlacement } from '../decorators/node.decorator.js';

export interface DagNode {
  key: string;
  className: string;
  instance: CrawlerNode;
  /** Keys of the nodes this one may dispatch to with `withNext`. */
  next: ReadonlySet<string>;
  entry: boolean;
  retryable: boolean;
  placement?: NodePlacement;
}

/** A module's compiled, validated workflow. */
export interface ModuleDag {
  module: string;
  /** `linear` when built from the `nodes` order, `explicit` when built from `@Next` edges. */
  mode: 'linear' | 'explicit';
  nodes: ReadonlyMap<string, DagNode>;
  entries: readonly string[];
}
