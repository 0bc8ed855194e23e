import { Injectable, SetMetadata, applyDecorators } from '@nestjs/common';
import { NEXT_METADATA, NODE_METADATA } from '../mocra.constants.js';

export interface NodePlacement {
  /** Route this node's request and parser work to the named worker group's topics. */
  workerGroup: string;
}

export interface NodeOptions {
  /** Force this node to be an entry node even if it has incoming edges (e.g. a self-paginating list). */
  entry?: boolean;
  placement?: NodePlacement;
  /** False: failures of this node are never retried. */
  retryable?: boolean;
}

export interface NodeMetadata extends NodeOptions {
  key: string;
}

/**
 * Marks a workflow node. The key, not the class name, routes work: it must stay stable across releases so that
 * queued work and retries still find their node.
 */
export function Node(key: string, options: NodeOptions = {}): ClassDecorator {
  if (typeof key !== 'string' || key.length === 0) {
    throw new Error(`@Node(key): key must be a non-empty string, got ${JSON.stringify(key)}`);
  }
  return applyDecorators(
    Injectable(),
    SetMetadata(NODE_METADATA, { ...options, key } satisfies NodeMetadata),
  );
}

/** Declares a DAG edge out of this node to the node with `key`. Repeat it for several edges. */
export function Next(key: string): ClassDecorator {
  return (target) => {
    const existing = (Reflect.getMetadata(NEXT_METADATA, target) as string[] | undefined) ?? [];
    // Decorators apply bottom-up; unshift keeps the edges in the order they are written.
    Reflect.defineMetadata(NEXT_METADATA, [key, ...existing], target);
  };
}
