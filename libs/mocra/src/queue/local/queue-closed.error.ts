/** The queue manager was closed: `action` (e.g. `publish to 'request'`) cannot be done any more. */
export class QueueClosedError extends Error {
  override readonly name = 'QueueClosedError';

  constructor(action: string) {
    super(`${action}: the queue manager is closed`);
  }
}
