import type { DeadLetterEnvelope, Route } from '../envelope.js';

export interface DeadLetterFilter {
  /** Source route of the failed message. */
  route?: Route;
  module?: string;
  /** Substring of the reason (case-sensitive). */
  reason?: string;
}

export interface DeadLetterListQuery extends DeadLetterFilter {
  offset?: number;
  /** No limit = every match after offset. */
  limit?: number;
}

export interface DeadLetterPage {
  /** Newest first. */
  items: DeadLetterEnvelope[];
  /** Matches before offset and limit were applied. */
  total: number;
}

/** Where dead letters are kept for listing, requeue and delete (memory here, classic-level and Kafka elsewhere). */
export interface DeadLetterStore {
  /** Stores a dead letter; one with the same id is replaced. */
  add(dl: DeadLetterEnvelope): Promise<void>;
  get(id: string): Promise<DeadLetterEnvelope | undefined>;
  list(query?: DeadLetterListQuery): Promise<DeadLetterPage>;
  /** False if no such id. */
  remove(id: string): Promise<boolean>;
  /** Removes every match (everything without a filter) and returns how many. */
  purge(filter?: DeadLetterFilter): Promise<number>;
  count(): Promise<number>;
}
