/** Counts of what the site served; every request is counted, including failures and 404s. */
export interface CatalogSiteStats {
  totalRequests: number;
  /** Request path (query string removed) → number of requests. */
  byPath: Map<string, number>;
  /** Injected failures: 503 first hits, `alwaysFail` 500s and random `failureRate` 500s (404s are not failures). */
  failuresServed: number;
}

/** `CatalogSiteStats` with the Map turned into a plain object, as `GET /__stats` serves it. */
export interface CatalogSiteStatsJson {
  totalRequests: number;
  byPath: Record<string, number>;
  failuresServed: number;
}

export class CatalogSiteCounters {
  private totalRequests = 0;
  private failuresServed = 0;
  private readonly byPath = new Map<string, number>();

  record(path: string): void {
    this.totalRequests++;
    this.byPath.set(path, (this.byPath.get(path) ?? 0) + 1);
  }

  failure(): void {
    this.failuresServed++;
  }

  /** A copy, so a caller holding it does not see later requests. */
  snapshot(): CatalogSiteStats {
    return {
      totalRequests: this.totalRequests,
      byPath: new Map(this.byPath),
      failuresServed: this.failuresServed,
    };
  }

  toJson(): CatalogSiteStatsJson {
    return {
      totalRequests: this.totalRequests,
      byPath: Object.fromEntries(this.byPath),
      failuresServed: this.failuresServed,
    };
  }
}
