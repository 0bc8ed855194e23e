import type { CrawlerNode } from '../engine/crawler-node.interface.js';
import type { NodeMetadata } from '../decorators/node.decorator.js';
import { MocraMessages } from '../mocra.messages.js';
import { DagCompileError } from './dag-compile.error.js';
import type { DagNode, ModuleDag } from './module-dag.js';

/** What the compiler needs to know about one node class of a module. */
export interface NodeDeclaration {
  className: string;
  metadata: NodeMetadata | undefined;
  next: string[];
  /** Undefined when the class is not a provider. */
  instance: CrawlerNode | undefined;
}

/**
 * Compiles a module's node list into a DAG. With no `@Next` on any node, the order of `nodes` forms a linear chain
 * (the seed's add_step); otherwise the `@Next` edges are the DAG (the seed's dag_definition, which wins).
 */
export function compileModuleDag(module: string, declarations: NodeDeclaration[]): ModuleDag {
  if (declarations.length === 0) throw new DagCompileError(MocraMessages.noNodes(module), module);
  const byKey = new Map<string, NodeDeclaration & { metadata: NodeMetadata; instance: CrawlerNode }>();
  for (const decl of declarations) {
    if (!decl.metadata)
      throw new DagCompileError(MocraMessages.nodeNotDecorated(module, decl.className), module);
    const key = decl.metadata.key;
    if (!decl.instance) {
      throw new DagCompileError(MocraMessages.nodeNotProvided(module, decl.className), module, key);
    }
    for (const method of ['generate', 'parse'] as const) {
      if (typeof (decl.instance as unknown as Record<string, unknown>)[method] !== 'function') {
        throw new DagCompileError(MocraMessages.nodeWithoutMethods(module, key, method), module, key);
      }
    }
    const previous = byKey.get(key);
    if (previous) {
      throw new DagCompileError(
        MocraMessages.duplicateNodeKey(module, key, previous.className, decl.className),
        module,
        key,
      );
    }
    byKey.set(key, { ...decl, metadata: decl.metadata, instance: decl.instance });
  }

  const keys = [...byKey.keys()];
  const explicit = declarations.some((d) => d.next.length > 0);
  const edges = new Map<string, Set<string>>();
  keys.forEach((key, i) => {
    const decl = byKey.get(key)!;
    if (explicit) {
      for (const to of decl.next) {
        if (!byKey.has(to)) {
          throw new DagCompileError(MocraMessages.unknownEdgeTarget(module, key, to, keys), module, key);
        }
      }
      edges.set(key, new Set(decl.next));
    } else {
      const successor = keys[i + 1];
      edges.set(key, new Set(successor === undefined ? [] : [successor]));
    }
  });

  const incoming = new Set<string>();
  for (const [from, targets] of edges) for (const to of targets) if (to !== from) incoming.add(to);
  const entries = keys.filter((k) => byKey.get(k)!.metadata.entry === true || !incoming.has(k));
  if (entries.length === 0) throw new DagCompileError(MocraMessages.noEntryNode(module), module);

  const nodes = new Map<string, DagNode>();
  for (const key of keys) {
    const decl = byKey.get(key)!;
    nodes.set(key, {
      key,
      className: decl.className,
      instance: decl.instance,
      next: edges.get(key)!,
      entry: entries.includes(key),
      retryable: decl.metadata.retryable !== false,
      placement: decl.metadata.placement,
    });
  }
  return { module, mode: explicit ? 'explicit' : 'linear', nodes, entries };
}
