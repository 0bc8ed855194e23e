/**
 * The work ids of one module run that some process still has to report done (cross-process completion on Kafka).
 * Reports from different processes arrive in any order, so a done that comes before the report creating it is kept
 * and cancels that creation. A run's ids are only ever created by the report of a message that is itself still
 * outstanding (or by the dispatch), so the set cannot empty while work of the run is left.
 */
export class WorkLedger {
  private readonly outstanding = new Set<string>();
  private readonly doneEarly = new Set<string>();

  expect(workId: string): void {
    if (!this.doneEarly.delete(workId)) this.outstanding.add(workId);
  }

  done(workId: string): void {
    // A second done of one id (a redelivered duplicate) is kept too; it is never matched and costs one entry.
    if (!this.outstanding.delete(workId)) this.doneEarly.add(workId);
  }

  get settled(): boolean {
    return this.outstanding.size === 0;
  }

  get size(): number {
    return this.outstanding.size;
  }
}
