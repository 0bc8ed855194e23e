import type { Message, Producer, TopicMessages } from 'kafkajs';

interface Pending {
  topic: string;
  message: Message;
  resolve: () => void;
  reject: (err: Error) => void;
}

export interface KafkaBatchPublisherOptions {
  /** Wait this long for more records before sending (0 = until the current tick's publishes are in). */
  lingerMs: number;
  /** Send at once when this many records are waiting. */
  maxBatch: number;
}

/**
 * Groups publishes into `sendBatch` requests. The idempotent producer allows one request in flight, so records
 * published while a request is out simply wait for the next one: under load batches grow by themselves, and an idle
 * publisher adds only the linger. Each publish resolves once the broker has acknowledged its record (acks=-1).
 */
export class KafkaBatchPublisher {
  private queue: Pending[] = [];
  private sending = false;
  private timer: ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate> | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly producer: Producer,
    private readonly options: KafkaBatchPublisherOptions,
  ) {}

  /** Records accepted and not yet acknowledged by the broker. */
  get pending(): number {
    return this.queue.length + (this.sending ? 1 : 0);
  }

  send(topic: string, message: Message): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, message, resolve, reject });
      if (this.sending) return;
      if (this.queue.length >= this.options.maxBatch) this.flushNow();
      else this.arm();
    });
  }

  /** Resolves once every accepted record is acknowledged or failed. */
  flush(): Promise<void> {
    if (this.queue.length > 0 && !this.sending) this.flushNow();
    if (this.queue.length === 0 && !this.sending) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    const fire = (): void => {
      this.timer = undefined;
      this.flushNow();
    };
    this.timer = this.options.lingerMs > 0 ? setTimeout(fire, this.options.lingerMs) : setImmediate(fire);
  }

  private flushNow(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer as ReturnType<typeof setTimeout>);
      clearImmediate(this.timer as ReturnType<typeof setImmediate>);
      this.timer = undefined;
    }
    if (this.sending || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.maxBatch);
    const byTopic = new Map<string, Message[]>();
    for (const p of batch) {
      let list = byTopic.get(p.topic);
      if (list === undefined) byTopic.set(p.topic, (list = []));
      list.push(p.message);
    }
    const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    this.sending = true;
    this.producer.sendBatch({ topicMessages, acks: -1 }).then(
      () => this.done(batch, undefined),
      (err: unknown) => this.done(batch, err instanceof Error ? err : new Error(String(err))),
    );
  }

  private done(batch: Pending[], err: Error | undefined): void {
    this.sending = false;
    for (const p of batch) {
      if (err === undefined) p.resolve();
      else p.reject(new Error(`kafka publish to '${p.topic}' failed: ${err.message}`, { cause: err }));
    }
    if (this.queue.length > 0) this.flushNow();
    else if (this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
