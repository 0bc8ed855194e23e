import type { NodeId } from '../core/types.js';
import type { FaultMix } from './sim-options.js';
import type { Prng } from './prng.js';

export type LinkQuality = Pick<FaultMix, 'loss' | 'duplicate' | 'minDelay' | 'maxDelay'>;

/** What happens to one message: the delays of the copies that arrive (none = lost), and whether a partition cut it. */
export interface DeliveryPlan {
  delays: number[];
  partitioned: boolean;
}

/**
 * The simulated network: per-link loss, delay (a wide delay range reorders), duplication, and directed link
 * blocks. A symmetric partition blocks both directions between groups; an asymmetric one blocks a single direction.
 */
export class SimNetwork {
  private quality: LinkQuality;
  private readonly blocked = new Set<string>();
  private readonly extraLoss = new Map<string, number>();

  constructor(
    private readonly prng: Prng,
    quality: LinkQuality,
  ) {
    this.quality = { ...quality };
  }

  setQuality(quality: LinkQuality): void {
    this.quality = { ...quality };
    this.extraLoss.clear();
  }

  /** Blocks every link between two different groups, in both directions. */
  partition(groups: NodeId[][]): void {
    for (const [i, group] of groups.entries()) {
      for (const [j, other] of groups.entries()) {
        if (i === j) continue;
        for (const from of group) for (const to of other) this.blocked.add(link(from, to));
      }
    }
  }

  block(from: NodeId, to: NodeId): void {
    this.blocked.add(link(from, to));
  }

  degrade(from: NodeId, to: NodeId, loss: number): void {
    this.extraLoss.set(link(from, to), loss);
  }

  healPartitions(): void {
    this.blocked.clear();
  }

  describePartitions(): string {
    return [...this.blocked].sort().join(' ');
  }

  plan(from: NodeId, to: NodeId): DeliveryPlan {
    const key = link(from, to);
    if (this.blocked.has(key)) return { delays: [], partitioned: true };
    const q = this.quality;
    const loss = q.loss + (this.extraLoss.get(key) ?? 0);
    if (this.prng.chance(loss)) return { delays: [], partitioned: false };
    const delays = [this.prng.range(q.minDelay, q.maxDelay)];
    if (this.prng.chance(q.duplicate)) delays.push(this.prng.range(q.minDelay, q.maxDelay * 2));
    return { delays, partitioned: false };
  }
}

function link(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}
