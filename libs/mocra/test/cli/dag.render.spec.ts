import { describe, expect, it } from 'vitest';
import type { CrawlerNode } from '../../src/engine/crawler-node.interface.js';
import type { DagNode, ModuleDag } from '../../src/dag/module-dag.js';
import { renderDagMermaid, renderDagText } from '../../src/cli/dag.render.js';

const instance = {} as CrawlerNode;
function node(key: string, next: string[], extra: Partial<DagNode> = {}): DagNode {
  return {
    key,
    className: `${key}Node`,
    instance,
    next: new Set(next),
    entry: false,
    retryable: true,
    ...extra,
  };
}

const dag: ModuleDag = {
  module: 'shop',
  mode: 'explicit',
  entries: ['start', 'feed'],
  nodes: new Map([
    ['start', node('start', ['say "hi"', 'start'], { entry: true })],
    ['feed', node('feed', ['say "hi"'], { entry: true, retryable: false })],
    ['say "hi"', node('say "hi"', [])],
  ]),
};

describe('DAG rendering', () => {
  it('as text: entries, flags, self edges and ends', () => {
    expect(renderDagText(dag).split('\n')).toEqual([
      'module shop (explicit, 3 nodes, entries: start, feed)',
      '  start <startNode> [entry] -> say "hi", start (self)',
      '  feed <feedNode> [entry, not retryable] -> say "hi"',
      '  say "hi" <say "hi"Node> -> (end)',
    ]);
  });

  it('as Mermaid: positional ids, escaped labels, stadium entries', () => {
    expect(renderDagMermaid(dag).split('\n')).toEqual([
      'flowchart LR',
      '  n0(["start"])',
      '  n1(["feed"])',
      '  n2["say #quot;hi#quot;"]',
      '  n0 --> n2',
      '  n0 --> n0',
      '  n1 --> n2',
    ]);
  });
});
