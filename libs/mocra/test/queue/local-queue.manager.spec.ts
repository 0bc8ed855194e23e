import { afterEach, describe, expect, it } from 'vitest';
import {
  LocalQueueManager,
  MemoryDeadLetterStore,
  QueueClosedError,
  type LocalQueueManagerOptions,
  type PipelineEnvelope,
  type Priority,
  type QueueMessage,
  type RequestDispatchEnvelope,
} from '../../src/queue/index.js';
import { requestEnvelope, routing, taskEnvelope } from './envelope.fixtures.js';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets pending microtasks and one macrotask turn run. */
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (cond()) return;
    await tick();
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A request envelope tagged with `tag` in its request id, for order checks. */
function tagged(tag: string, priority: Priority = 'normal'): RequestDispatchEnvelope {
  const env = requestEnvelope({ id: tag });
  env.routing = routing({ priority, requestId: tag });
  return env;
}

const tagOf = (msg: QueueMessage<PipelineEnvelope>): string => msg.envelope.routing.requestId ?? '?';

const managers: LocalQueueManager[] = [];
function manager(options: Partial<LocalQueueManagerOptions> = {}): LocalQueueManager {
  const m = new LocalQueueManager({
    namespace: 'ns1',
    capacity: 100,
    nackMaxRetries: 0,
    nackBackoffMs: 0,
    ...options,
  });
  managers.push(m);
  return m;
}

afterEach(async () => {
  // Handlers left blocked by a failed test must not hang the suite.
  await Promise.race([Promise.all(managers.splice(0).map((m) => m.close())), tick()]);
});

describe('LocalQueueManager delivery', () => {
  it('delivers the envelope by reference with message metadata', async () => {
    const q = manager({ clock: () => 1234 });
    const env = taskEnvelope('high');
    const seen: QueueMessage[] = [];
    q.subscribe('task', async (msg) => void seen.push(msg), { concurrency: 1 });
    await q.publish('task', env);
    await until(() => seen.length === 1, 'delivery');
    const msg = seen[0] as QueueMessage;
    expect(msg.envelope).toBe(env);
    expect(msg).toMatchObject({ route: 'task', priority: 'high', attempt: 0, enqueuedAtMs: 1234 });
    expect(typeof msg.id).toBe('string');
    expect(q.backend).toBe('local');
  });

  it('keeps routes apart and gives each message a distinct id', async () => {
    const q = manager();
    const tasks: QueueMessage[] = [];
    const requests: QueueMessage[] = [];
    q.subscribe('task', async (m) => void tasks.push(m), { concurrency: 4 });
    q.subscribe('request', async (m) => void requests.push(m), { concurrency: 4 });
    for (let i = 0; i < 10; i++) {
      await q.publish('task', taskEnvelope());
      await q.publish('request', tagged(`r${i}`));
    }
    await q.onIdle();
    expect(tasks.map((m) => m.envelope.kind)).toEqual(Array(10).fill('task'));
    expect(requests.map(tagOf)).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`));
    expect(new Set([...tasks, ...requests].map((m) => m.id)).size).toBe(20);
  });

  it('delivers by priority, publish priority overriding the routing priority', async () => {
    const q = manager();
    await q.publish('request', tagged('n1', 'normal'));
    await q.publish('request', tagged('l1', 'low'));
    await q.publish('request', tagged('h1', 'high'));
    await q.publish('request', tagged('h-as-low', 'high'), 'low');
    await q.publish('request', tagged('n2', 'normal'));
    expect(q.depth('request')).toBe(5);
    expect(q.depth('request', 'low')).toBe(2);
    expect(q.depth(undefined, 'high')).toBe(1);
    const order: string[] = [];
    q.subscribe('request', async (m) => void order.push(tagOf(m)), { concurrency: 1 });
    await q.onIdle();
    expect(order).toEqual(['h1', 'n1', 'n2', 'l1', 'h-as-low']);
  });

  it('keeps a message published before anyone subscribes', async () => {
    const q = manager();
    await q.publish('response', tagged('early'));
    expect(q.depth()).toBe(1);
    const got: string[] = [];
    q.subscribe('response', async (m) => void got.push(tagOf(m)), { concurrency: 1 });
    await q.onIdle();
    expect(got).toEqual(['early']);
  });

  it('never runs more than concurrency handlers of a subscription at once', async () => {
    const q = manager();
    let active = 0;
    let maxActive = 0;
    let done = 0;
    q.subscribe(
      'request',
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await tick();
        await tick();
        active--;
        done++;
      },
      { concurrency: 3 },
    );
    for (let i = 0; i < 30; i++) await q.publish('request', tagged(`m${i}`));
    await until(() => q.inflight('request') > 0, 'first delivery');
    expect(q.inflight('request')).toBe(3);
    await q.onIdle();
    expect(done).toBe(30);
    expect(maxActive).toBe(3);
  });

  it('lets timers run while handlers without I/O feed each other', async () => {
    const q = manager();
    const cap = 200_000;
    let deliveries = 0;
    // Ping-pong between two routes; each handler settles as a microtask and republishes at once.
    const bounce = (to: 'task' | 'parser_task') => async (m: QueueMessage) => {
      if (++deliveries < cap) await q.publish(to, m.envelope, undefined, { wait: false });
    };
    q.subscribe('task', bounce('parser_task'), { concurrency: 1 });
    q.subscribe('parser_task', bounce('task'), { concurrency: 1 });
    const atTimer = new Promise<number>((resolve) => setTimeout(() => resolve(deliveries), 0));
    await q.publish('task', taskEnvelope());
    const seenByTimer = await atTimer;
    await q.onIdle();
    expect(deliveries).toBe(cap);
    expect(seenByTimer).toBeLessThan(cap / 2);
  });

  it('shares a route between two subscriptions', async () => {
    const q = manager();
    const a: string[] = [];
    const b: string[] = [];
    const slow = async (into: string[], m: QueueMessage): Promise<void> => {
      into.push(tagOf(m));
      await tick();
    };
    q.subscribe('request', (m) => slow(a, m), { concurrency: 1 });
    q.subscribe('request', (m) => slow(b, m), { concurrency: 1 });
    for (let i = 0; i < 10; i++) await q.publish('request', tagged(`m${i}`));
    await q.onIdle();
    expect(a.length + b.length).toBe(10);
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
  });

  it('rejects a bad concurrency, an unknown route and an unknown priority', async () => {
    const q = manager();
    expect(() => q.subscribe('task', async () => {}, { concurrency: 0 })).toThrow(RangeError);
    await expect(q.publish('nope' as 'task', taskEnvelope())).rejects.toThrow(/unknown route 'nope'/);
    await expect(q.publish('task', taskEnvelope(), 'urgent' as Priority)).rejects.toThrow(/unknown priority/);
    expect(
      () => new LocalQueueManager({ namespace: 'x', capacity: 0, nackMaxRetries: 0, nackBackoffMs: 0 }),
    ).toThrow(/capacity/);
  });
});

describe('LocalQueueManager backpressure', () => {
  it('blocks a producer at capacity and lets it in when a consumer takes a message', async () => {
    const q = manager({ capacity: 2 });
    await q.publish('request', tagged('a'));
    await q.publish('request', tagged('b'));
    let thirdDone = false;
    const third = q.publish('request', tagged('c')).then(() => (thirdDone = true));
    await tick();
    expect(thirdDone).toBe(false);
    expect(q.depth('request')).toBe(2);
    expect(q.blockedPublishers('request')).toBe(1);

    const gate = deferred();
    const got: string[] = [];
    q.subscribe(
      'request',
      async (m) => {
        got.push(tagOf(m));
        await gate.promise;
      },
      { concurrency: 1 },
    );
    await third;
    expect(got).toEqual(['a']);
    expect(q.depth('request')).toBe(2);
    expect(q.blockedPublishers()).toBe(0);
    gate.resolve();
    await q.onIdle();
    expect(got).toEqual(['a', 'b', 'c']);
  });

  it('with N producers and a slow consumer loses nothing, stays within capacity and keeps FIFO per producer', async () => {
    const capacity = 4;
    const q = manager({ capacity });
    const producers = 5;
    const perProducer = 40;
    const received: string[] = [];
    let maxDepth = 0;
    q.subscribe(
      'parser_task',
      async (m) => {
        maxDepth = Math.max(maxDepth, q.depth('parser_task'));
        received.push(tagOf(m));
        await tick();
      },
      { concurrency: 1 },
    );
    await Promise.all(
      Array.from({ length: producers }, async (_, p) => {
        for (let i = 0; i < perProducer; i++) await q.publish('parser_task', tagged(`${p}:${i}`));
      }),
    );
    await q.onIdle();
    expect(received.length).toBe(producers * perProducer);
    expect(new Set(received).size).toBe(producers * perProducer);
    expect(maxDepth).toBeLessThanOrEqual(capacity);
    for (let p = 0; p < producers; p++) {
      const mine = received.filter((t) => t.startsWith(`${p}:`)).map((t) => Number(t.split(':')[1]));
      expect(mine).toEqual(Array.from({ length: perProducer }, (_, i) => i));
    }
  });

  it('lets blocked producers in first-come first-served', async () => {
    const q = manager({ capacity: 1 });
    await q.publish('task', tagged('first'));
    const order: string[] = [];
    const blocked = ['b1', 'b2', 'b3'].map((t) => q.publish('task', tagged(t)).then(() => order.push(t)));
    await tick();
    const got: string[] = [];
    q.subscribe('task', async (m) => void got.push(tagOf(m)), { concurrency: 1 });
    await Promise.all(blocked);
    await q.onIdle();
    expect(order).toEqual(['b1', 'b2', 'b3']);
    expect(got).toEqual(['first', 'b1', 'b2', 'b3']);
  });

  it('accepts wait=false past capacity, ahead of blocked producers', async () => {
    const q = manager({ capacity: 1 });
    await q.publish('request', tagged('a'));
    let blockedDone = false;
    // Rejected with QueueClosedError when afterEach closes the manager.
    const blocked = q.publish('request', tagged('blocked')).then(() => (blockedDone = true));
    blocked.catch(() => {});
    for (let i = 0; i < 5; i++) await q.publish('request', tagged(`nw${i}`), undefined, { wait: false });
    expect(q.depth('request')).toBe(6);
    await tick();
    expect(blockedDone).toBe(false);
  });
});

describe('LocalQueueManager nack and dead letters', () => {
  class KindError extends Error {
    constructor(
      message: string,
      readonly kind: string,
    ) {
      super(message);
    }
  }

  it('retries a nacked message after the backoff with attempt + 1, then acks', async () => {
    const q = manager({ nackMaxRetries: 2, nackBackoffMs: 5 });
    const attempts: number[] = [];
    q.subscribe(
      'request',
      async (m) => {
        attempts.push(m.attempt);
        if (m.attempt === 0) throw new Error('flaky');
      },
      { concurrency: 1 },
    );
    await q.publish('request', tagged('x'));
    await q.onIdle();
    expect(attempts).toEqual([0, 1]);
    expect(await q.dlq.count()).toBe(0);
  });

  it('dead-letters a message once its retries are exhausted', async () => {
    const dlq = new MemoryDeadLetterStore();
    const q = manager({ nackMaxRetries: 2, nackBackoffMs: 1, dlq, clock: () => 777 });
    const attempts: number[] = [];
    const env = tagged('doomed', 'low');
    q.subscribe(
      'response',
      async (m) => {
        attempts.push(m.attempt);
        throw new KindError(`parse failed #${m.attempt}`, 'Parser');
      },
      { concurrency: 1 },
    );
    await q.publish('response', env);
    await q.onIdle();
    expect(attempts).toEqual([0, 1, 2]);
    const { items, total } = await q.dlq.list();
    expect(total).toBe(1);
    expect(items[0]).toMatchObject({
      kind: 'dead_letter',
      namespace: 'ns1',
      sourceRoute: 'response',
      sourcePriority: 'low',
      reason: 'parse failed #2',
      errorKind: 'Parser',
      attempt: 3,
      failedAtMs: 777,
      module: 'shop',
    });
    expect(items[0]?.payload).toBe(env);
    expect(await dlq.get(items[0]?.id ?? '')).toBe(items[0]);
  });

  it("uses 'Queue' as the error kind when the error carries no known kind", async () => {
    const q = manager();
    q.subscribe(
      'task',
      async () => {
        throw new KindError('nope', 'NotAKind');
      },
      { concurrency: 1 },
    );
    q.subscribe('request', () => Promise.reject('a plain string'), { concurrency: 1 });
    await q.publish('task', taskEnvelope());
    await q.publish('request', tagged('s'));
    await q.onIdle();
    const { items } = await q.dlq.list();
    expect(items.map((d) => [d.sourceRoute, d.errorKind, d.reason, d.attempt]).sort()).toEqual([
      ['request', 'Queue', 'a plain string', 1],
      ['task', 'Queue', 'nope', 1],
    ]);
  });

  it('treats a synchronous throw in a handler as a nack', async () => {
    const q = manager();
    q.subscribe(
      'task',
      (() => {
        throw new Error('sync boom');
      }) as () => Promise<void>,
      { concurrency: 1 },
    );
    await q.publish('task', taskEnvelope());
    await q.onIdle();
    expect((await q.dlq.list()).items[0]?.reason).toBe('sync boom');
  });

  it('requeues a dead letter to its source route and priority with attempt 0, and removes the record', async () => {
    const q = manager();
    let fail = true;
    const seen: QueueMessage[] = [];
    q.subscribe(
      'response',
      async (m) => {
        seen.push(m);
        if (fail) throw new Error('down');
      },
      { concurrency: 1 },
    );
    const env = tagged('again', 'high');
    await q.publish('response', env, 'low');
    await q.onIdle();
    const [dl] = (await q.dlq.list()).items;
    expect(dl).toBeDefined();
    fail = false;
    expect(await q.requeueDeadLetter(dl?.id ?? '')).toBe(true);
    await q.onIdle();
    expect(seen).toHaveLength(2);
    expect(seen[1]).toMatchObject({ route: 'response', priority: 'low', attempt: 0 });
    expect(seen[1]?.envelope).toBe(env);
    expect(await q.dlq.count()).toBe(0);
    expect(await q.requeueDeadLetter(dl?.id ?? '')).toBe(false);
  });

  it('reports a dead letter the store refuses, and still settles the message', async () => {
    class BrokenStore extends MemoryDeadLetterStore {
      override async add(): Promise<void> {
        throw new Error('disk full');
      }
    }
    const reported: string[] = [];
    const q = manager({
      dlq: new BrokenStore(),
      onError: (err, context) => reported.push(`${context}: ${err}`),
    });
    q.subscribe('task', () => Promise.reject(new Error('bad')), { concurrency: 1 });
    await q.publish('task', taskEnvelope());
    await q.onIdle();
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatch(/dead letter for message .* on 'task' not stored: Error: disk full/);
  });

  it('deadLetter() stores a record built from the message for the engine', async () => {
    const q = manager({ clock: () => 42 });
    const msg: QueueMessage = {
      id: 'm1',
      route: 'task',
      priority: 'normal',
      envelope: taskEnvelope(),
      attempt: 0,
      enqueuedAtMs: 1,
    };
    const dl = await q.deadLetter(msg, { reason: 'policy says no', errorKind: 'Task', attempt: 4 });
    expect(dl).toMatchObject({
      sourceRoute: 'task',
      reason: 'policy says no',
      errorKind: 'Task',
      attempt: 4,
    });
    expect(dl.failedAtMs).toBe(42);
    expect(await q.dlq.get(dl.id)).toBe(dl);
  });
});

describe('LocalQueueManager pause, stop and close', () => {
  it('pause lets in-flight work finish and delivers nothing new until resume', async () => {
    const q = manager();
    const gate = deferred();
    const started: string[] = [];
    const finished: string[] = [];
    q.subscribe(
      'request',
      async (m) => {
        started.push(tagOf(m));
        await gate.promise;
        finished.push(tagOf(m));
      },
      { concurrency: 2 },
    );
    for (const t of ['a', 'b', 'c', 'd']) await q.publish('request', tagged(t));
    await until(() => started.length === 2, 'two deliveries');
    q.pause();
    expect(q.paused).toBe(true);
    gate.resolve();
    await until(() => finished.length === 2, 'in-flight handlers to finish');
    for (let i = 0; i < 5; i++) await tick();
    expect(started).toEqual(['a', 'b']);
    expect(q.inflight()).toBe(0);
    expect(q.depth('request')).toBe(2);
    await q.publish('request', tagged('e'));
    q.resume();
    expect(q.paused).toBe(false);
    await q.onIdle();
    expect(finished).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('subscription.stop waits for its in-flight handlers and leaves the rest queued', async () => {
    const q = manager();
    const gate = deferred();
    let finished = 0;
    const sub = q.subscribe(
      'task',
      async () => {
        await gate.promise;
        finished++;
      },
      { concurrency: 1 },
    );
    await q.publish('task', taskEnvelope());
    await q.publish('task', taskEnvelope());
    await until(() => q.inflight('task') === 1, 'delivery');
    let stopped = false;
    const stopping = sub.stop().then(() => (stopped = true));
    await tick();
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;
    expect(finished).toBe(1);
    await tick();
    expect(q.depth('task')).toBe(1);
  });

  it('close waits for in-flight handlers, then refuses publishes and releases blocked producers', async () => {
    const q = manager({ capacity: 1 });
    const gate = deferred();
    let finished = 0;
    q.subscribe(
      'request',
      async () => {
        await gate.promise;
        finished++;
      },
      { concurrency: 1 },
    );
    await q.publish('request', tagged('a'));
    await until(() => q.inflight() === 1, 'delivery');
    await q.publish('request', tagged('b'));
    const blocked = q.publish('request', tagged('c'));
    let closed = false;
    const closing = q.close().then(() => (closed = true));
    await expect(blocked).rejects.toBeInstanceOf(QueueClosedError);
    await tick();
    expect(closed).toBe(false);
    gate.resolve();
    await closing;
    expect(finished).toBe(1);
    expect(q.depth('request')).toBe(1);
    await expect(q.publish('request', tagged('late'))).rejects.toBeInstanceOf(QueueClosedError);
    expect(() => q.subscribe('request', async () => {}, { concurrency: 1 })).toThrow(QueueClosedError);
  });

  it('close puts messages backing off after a nack back on their queue', async () => {
    const q = manager({ nackMaxRetries: 3, nackBackoffMs: 60_000 });
    q.subscribe('task', () => Promise.reject(new Error('later')), { concurrency: 1 });
    await q.publish('task', taskEnvelope());
    await until(() => q.inflight() === 0 && q.depth() === 0, 'the nack');
    await q.close();
    expect(q.depth('task')).toBe(1);
  });

  it('onIdle waits for a message that is backing off', async () => {
    const q = manager({ nackMaxRetries: 1, nackBackoffMs: 20 });
    const attempts: number[] = [];
    q.subscribe(
      'task',
      async (m) => {
        attempts.push(m.attempt);
        if (m.attempt === 0) throw new Error('once');
      },
      { concurrency: 1 },
    );
    await q.publish('task', taskEnvelope());
    await until(() => attempts.length === 1 && q.inflight() === 0, 'the nack');
    await q.onIdle();
    expect(attempts).toEqual([0, 1]);
  });
});

/** A 'request' subscription that passes each message on to 'response', as the engine's download stage does. */
function forwardDownloads(q: LocalQueueManager, concurrency: number): { count: number } {
  const downloads = { count: 0 };
  q.subscribe(
    'request',
    async (m) => {
      downloads.count++;
      await q.publish('response', m.envelope, undefined, { wait: false });
    },
    { concurrency },
  );
  return downloads;
}

describe('LocalQueueManager crawl order and flow control', () => {
  it('delivers deeper work first within a priority', async () => {
    const q = manager();
    const at = (tag: string, depth: number): RequestDispatchEnvelope => {
      const env = tagged(tag);
      env.routing.depth = depth;
      return env;
    };
    for (const [tag, depth] of [
      ['list-2', 1],
      ['product-a', 2],
      ['list-3', 1],
      ['product-b', 2],
      ['entry', 0],
    ] as const) {
      await q.publish('request', at(tag, depth));
    }
    const seen: string[] = [];
    q.subscribe('request', async (m) => void seen.push(tagOf(m)), { concurrency: 1 });
    await until(() => seen.length === 5, 'five deliveries');
    expect(seen).toEqual(['product-a', 'product-b', 'list-2', 'list-3', 'entry']);
  });

  it('holds request deliveries while maxWaiting responses wait, and resumes as parsing drains them', async () => {
    const q = manager({ flowControl: [{ upstream: 'request', downstream: 'response', maxWaiting: 3 }] });
    const parse = deferred();
    let parsing = 0;
    q.subscribe(
      'response',
      async () => {
        parsing++;
        await parse.promise;
      },
      { concurrency: 1 },
    );
    const downloads = forwardDownloads(q, 4);
    for (let i = 0; i < 20; i++) await q.publish('request', tagged(`r${i}`));
    await until(() => parsing === 1 && q.depth('response') >= 3, 'the response backlog');
    for (let i = 0; i < 20; i++) await tick();
    // One response in the parser, three waiting, plus at most the downloads already delivered when the third arrived.
    expect(q.depth('response')).toBeLessThanOrEqual(3 + 4);
    expect(downloads.count).toBeLessThan(20);
    expect(q.depth('request')).toBeGreaterThan(0);
    parse.resolve();
    await until(() => downloads.count === 20, 'every download after parsing resumed');
    await q.onIdle();
    expect(q.depth()).toBe(0);
  });

  it('does not hold requests on a downstream route nobody consumes', async () => {
    const q = manager({ flowControl: [{ upstream: 'request', downstream: 'response', maxWaiting: 2 }] });
    const downloads = forwardDownloads(q, 2);
    for (let i = 0; i < 10; i++) await q.publish('request', tagged(`r${i}`));
    await until(() => downloads.count === 10, 'all ten downloads');
    expect(q.depth('response')).toBe(10);
  });

  it('wakes a held route when the last downstream subscriber stops', async () => {
    const q = manager({ flowControl: [{ upstream: 'request', downstream: 'response', maxWaiting: 1 }] });
    const parse = deferred();
    const parser = q.subscribe('response', () => parse.promise, { concurrency: 1 });
    const downloads = forwardDownloads(q, 1);
    for (let i = 0; i < 6; i++) await q.publish('request', tagged(`r${i}`));
    await until(() => q.depth('response') >= 1 && downloads.count >= 2, 'a held request route');
    for (let i = 0; i < 10; i++) await tick();
    expect(downloads.count).toBeLessThan(6);
    const stopped = parser.stop();
    parse.resolve();
    await stopped;
    await until(() => downloads.count === 6, 'the held downloads after the parser left');
  });

  it('rejects a flow control naming an unknown route or a bad limit', () => {
    expect(() =>
      manager({ flowControl: [{ upstream: 'request', downstream: 'nowhere' as never, maxWaiting: 1 }] }),
    ).toThrow(/request -> nowhere/);
    expect(() =>
      manager({ flowControl: [{ upstream: 'request', downstream: 'response', maxWaiting: 0 }] }),
    ).toThrow(/maxWaiting must be >= 1/);
  });
});
