/**
 * How often this process ran each node's generate() and parse(), keyed by node: per-process evidence of where work
 * ran (placement), printed by the worker entry.
 */
export class NodeCounters {
  private static readonly counts = new Map<string, { generate: number; parse: number }>();

  static count(node: string, step: 'generate' | 'parse'): void {
    let entry = this.counts.get(node);
    if (!entry) this.counts.set(node, (entry = { generate: 0, parse: 0 }));
    entry[step]++;
  }

  static snapshot(): Record<string, { generate: number; parse: number }> {
    return Object.fromEntries([...this.counts].map(([node, c]) => [node, { ...c }]));
  }
}
