import type { ModuleDag } from '../dag/module-dag.js';

/** The DAG as indented text: one line per node with its class, entry mark and outgoing edges. */
export function renderDagText(dag: ModuleDag): string {
  const lines = [
    `module ${dag.module} (${dag.mode}, ${dag.nodes.size} nodes, entries: ${dag.entries.join(', ')})`,
  ];
  for (const node of dag.nodes.values()) {
    const marks = [node.entry ? 'entry' : undefined, node.retryable ? undefined : 'not retryable']
      .filter((m) => m !== undefined)
      .join(', ');
    const edges = [...node.next].map((to) => (to === node.key ? `${to} (self)` : to));
    lines.push(
      `  ${node.key} <${node.className}>${marks ? ` [${marks}]` : ''} -> ${edges.length > 0 ? edges.join(', ') : '(end)'}`,
    );
  }
  return lines.join('\n');
}

// Mermaid ids allow few characters, so nodes get positional ids and the key goes in the quoted label.
function mermaidLabel(text: string): string {
  return `"${text.replace(/"/g, '#quot;')}"`;
}

/** The DAG as a Mermaid flowchart; entry nodes are drawn as stadiums. */
export function renderDagMermaid(dag: ModuleDag): string {
  const ids = new Map<string, string>();
  [...dag.nodes.keys()].forEach((key, i) => ids.set(key, `n${i}`));
  const lines = ['flowchart LR'];
  for (const node of dag.nodes.values()) {
    const id = ids.get(node.key)!;
    const label = mermaidLabel(node.key);
    lines.push(node.entry ? `  ${id}([${label}])` : `  ${id}[${label}]`);
  }
  for (const node of dag.nodes.values()) {
    for (const to of node.next) lines.push(`  ${ids.get(node.key)!} --> ${ids.get(to)!}`);
  }
  return lines.join('\n');
}
