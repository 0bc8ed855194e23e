import { Inject, Injectable, Logger } from '@nestjs/common';
import type { MocraConfig } from '../config/mocra-config.js';
import { isThenable } from '../common/is-thenable.js';
import { uuidV7 } from '../common/uuid-v7.js';
import type { ModuleDag, DagNode } from '../dag/module-dag.js';
import { DownloadError } from '../downloader/download.error.js';
import { DownloadCoordinator } from '../downloader/download-coordinator.js';
import type { DataItem } from '../middleware/middleware.interfaces.js';
import { MOCRA_CONFIG, QUEUE_MANAGER } from '../mocra.tokens.js';
import { MocraMessages } from '../mocra.messages.js';
import { backoffDelayMs } from '../policy/error-policy.js';
import { ErrorPolicyResolver } from '../policy/error-policy.resolver.js';
import { MocraMetrics } from '../metrics/mocra.metrics.js';
import { statusClassOf } from '../metrics/status-class.js';
import type {
  ErrorKind,
  ExecutionMeta,
  NodeDispatchEnvelope,
  NodeErrorEnvelope,
  PipelineEnvelope,
  RequestDispatchEnvelope,
  ResponseDispatchEnvelope,
  Route,
  RoutingMeta,
  TaskDispatchEnvelope,
  TaskEvent,
} from '../queue/envelope.js';
import { MAX_CRAWL_DEPTH } from '../queue/envelope.js';
import type {
  PublishOptions,
  QueueManager,
  QueueMessage,
  QueueSubscription,
  WorkReportWatch,
} from '../queue/queue-manager.js';
import { Request, dispatchData } from '../request/request.js';
import { Response } from '../request/response.js';
import type { Priority, ResponseData } from '../request/request-data.js';
import { SeenSet } from '../request/seen-set.js';
import { requestFingerprint } from '../request/request-fingerprint.js';
import type { GenerateContext, ModuleRunContext, ParseContext } from './crawl-context.js';
import type { GenerateResult } from './crawler-node.interface.js';
import type { ParseOutput } from '../parser/parse-output.js';
import { CrawlerRegistry, type RegisteredModule } from './crawler.registry.js';
import type { EngineStats } from './engine-stats.js';
import { StageError } from './stage.error.js';
import { RunTracker, type ModuleRunState, type RunState } from './run.tracker.js';
import type { RunHandle } from './run-summary.js';
import { resolveProcessRoles, workerGroupOf, type ProcessRoles } from './process-roles.js';

/**
 * The crawl pipeline over the queue routes:
 * task -> generate(entry nodes) -> request -> download -> response -> parse -> parser_task (withNext) -> generate ...
 * Failures of any stage go to error_task, where the error policy retries them (after a backoff) or dead-letters them.
 *
 * Deadlock rule: only generate() output waits for queue capacity (it is the producer that backpressure should slow
 * down); publishes made while handling a download or a parse never wait, so no cycle of full queues can form.
 */
@Injectable()
export class CrawlEngine {
  private readonly logger = new Logger('mocra');
  private readonly policy: ErrorPolicyResolver;
  private readonly tracker: RunTracker;
  private readonly seen = new Map<string, SeenSet>();
  private readonly subscriptions: QueueSubscription[] = [];
  private started = false;
  private roles: ProcessRoles | undefined;
  private workWatch: WorkReportWatch | undefined;
  private readonly totals = {
    pages: 0,
    items: 0,
    errors: 0,
    retries: 0,
    deadLettered: 0,
    duplicates: 0,
    bytes: 0,
  };
  private readonly startedAtMs = Date.now();

  constructor(
    @Inject(MOCRA_CONFIG) private readonly config: MocraConfig,
    @Inject(QUEUE_MANAGER) private readonly queue: QueueManager,
    private readonly registry: CrawlerRegistry,
    private readonly metrics: MocraMetrics,
    private readonly coordinator: DownloadCoordinator,
  ) {
    this.policy = new ErrorPolicyResolver(config);
    this.tracker = new RunTracker((run, mod) => this.completeModuleRun(run, mod));
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.restoreRuns();
    const crawler = this.config.crawler;
    const parserConcurrency = crawler.parser_concurrency ?? crawler.task_concurrency;
    const distributed = this.queue.watchWork !== undefined;
    const roles = resolveProcessRoles(this.config, distributed, this.registry, this.logger);
    this.roles = roles;
    if (roles.placementRouted) {
      this.queue.setWorkerGroupResolver?.((route, env) => workerGroupOf(this.registry, route, env));
    }
    if (this.queue.watchWork) {
      // Stages run in other processes too: runs started here complete from every process's work reports.
      this.tracker.useRemoteCompletion(
        (counters) => this.queue.addToWorkReport?.(counters),
        crawler.dedup_ttl_secs * 1000,
        (runId) => this.dropSeenSet(runId),
      );
      this.workWatch = await this.queue.watchWork(
        (runId) => this.tracker.owns(runId),
        (report) => this.tracker.applyReport(report),
      );
    }
    // Without a role's routes this process never sees that stage's work; every process runs the error policy.
    if (roles.ingress) {
      this.subscriptions.push(
        this.queue.subscribe<TaskDispatchEnvelope>('task', (m) => this.onTask(m), { concurrency: 16 }),
      );
    }
    for (const workerGroup of [undefined, ...roles.workerGroups]) {
      if (roles.download) {
        this.subscriptions.push(
          this.queue.subscribe<RequestDispatchEnvelope>('request', (m) => this.onRequest(m), {
            concurrency: crawler.task_concurrency,
            workerGroup,
          }),
        );
      }
      if (roles.parse) {
        this.subscriptions.push(
          this.queue.subscribe<ResponseDispatchEnvelope>('response', (m) => this.onResponse(m), {
            concurrency: parserConcurrency,
            workerGroup,
          }),
          this.queue.subscribe<NodeDispatchEnvelope>('parser_task', (m) => this.onNodeDispatch(m), {
            concurrency: parserConcurrency,
            workerGroup,
          }),
        );
      }
    }
    this.subscriptions.push(
      this.queue.subscribe<NodeErrorEnvelope>('error_task', (m) => this.onError(m), {
        concurrency: crawler.error_task_concurrency,
      }),
    );
  }

  /** Whether this process runs a stage (`crawler.roles`); every stage before start(). */
  runsIngress(): boolean {
    return this.roles?.ingress ?? this.config.crawler.roles.includes('ingress');
  }

  /** Stops intake and waits for in-flight handlers; delayed retries stay with the queue. */
  async stop(): Promise<void> {
    await Promise.all(this.subscriptions.map((s) => s.stop()));
    this.subscriptions.length = 0;
    await this.workWatch?.stop();
    this.workWatch = undefined;
  }

  dispatch(event: TaskEvent): RunHandle {
    const names = event.module && event.module.length > 0 ? event.module : this.registry.names();
    const modules: RegisteredModule[] = [];
    for (const name of names) {
      const mod = this.registry.get(name);
      if (!mod) throw new Error(MocraMessages.unknownModuleInEvent(name, this.registry.names()));
      if (event.module?.length || mod.settings.enabled) modules.push(mod);
    }
    const runId = event.runId ?? uuidV7();
    const run = this.tracker.create(
      runId,
      modules.map((m) => m.name),
    );
    for (const mod of modules) {
      const state = run.modules.get(mod.name)!;
      const priority = event.priority ?? mod.settings.priority;
      const envelope: TaskDispatchEnvelope = {
        kind: 'task',
        routing: this.routing(mod, '', runId, priority, event.account, event.platform),
        exec: this.exec(),
        event: { ...event, runId },
      };
      this.metrics.runStarted(mod.name);
      // Distributed: the task is the root of the run's work ids, which the work reports then extend and close.
      const workId = this.tracker.distributed ? uuidV7() : undefined;
      this.tracker.expectRoot(state, workId);
      this.queue.publish('task', envelope, priority, { wait: false, workId }).catch((err: unknown) => {
        this.logger.error(`run ${runId} module ${mod.name}: could not enqueue the task: ${String(err)}`);
        this.tracker.dropRoot(runId, state, workId);
      });
    }
    if (modules.length === 0) {
      run.finishedAtMs = Date.now();
      run.resolve(run.summary());
    }
    return { runId, modules: modules.map((m) => m.name), finished: run.finished };
  }

  /** No new deliveries on any route; in-flight work finishes; nothing is lost. */
  pause(): void {
    this.queue.pause();
  }

  resume(): void {
    this.queue.resume();
  }

  stats(): EngineStats {
    return {
      ...this.totals,
      activeRuns: this.tracker.activeCount,
      queueDepth: this.queue.depth(),
      inflight: this.queue.inflight(),
      paused: this.queue.paused,
      uptimeMs: Date.now() - this.startedAtMs,
    };
  }

  get runs(): RunTracker {
    return this.tracker;
  }

  // ---- stage handlers -------------------------------------------------------------------------------------------

  private onTask(msg: QueueMessage<TaskDispatchEnvelope>): Promise<void> {
    return this.runGeneration(msg, 'task', async (mod, state) => {
      if (!state.preProcessed) {
        state.preProcessed = true;
        await mod.hooks.preProcess?.(this.runContext(mod, msg.envelope.routing));
      }
      for (const entry of mod.dag.entries) {
        const node = mod.dag.nodes.get(entry)!;
        if (node.placement && this.roles?.placementRouted) {
          // A placed entry node generates in its worker group, like any placed node dispatched by withNext.
          await this.forward(
            'parser_task',
            {
              kind: 'node',
              routing: { ...msg.envelope.routing, nodeKey: node.key },
              exec: this.exec(),
              targetNode: node.key,
              input: undefined,
            },
            msg.priority,
            state,
          );
          continue;
        }
        await this.generate(mod, state, node, msg.envelope.routing, undefined, msg.priority);
      }
    });
  }

  private onNodeDispatch(msg: QueueMessage<NodeDispatchEnvelope>): Promise<void> {
    return this.runGeneration(msg, 'parser_task', (mod, state) => {
      const node = this.node(mod.dag, msg.envelope.targetNode);
      return this.generate(mod, state, node, msg.envelope.routing, msg.envelope.input, msg.priority);
    });
  }

  /** The frame shared by the two generating stages: skip after finish(), route failures, count completion. */
  private async runGeneration(
    msg: QueueMessage<TaskDispatchEnvelope | NodeDispatchEnvelope>,
    stage: 'task' | 'parser_task',
    body: (mod: RegisteredModule, state: ModuleRunState) => Promise<void>,
  ): Promise<void> {
    const env = msg.envelope;
    const { mod, state } = this.lookup(env.routing);
    if (!mod || !state) return;
    try {
      if (state.finishedByParser) {
        state.skippedAfterFinish++;
        return;
      }
      await body(mod, state);
    } catch (err) {
      await this.fail(env, stage, 'Task', err, state);
    } finally {
      this.tracker.dec(env.routing.runId, state);
    }
  }

  private async onRequest(msg: QueueMessage<RequestDispatchEnvelope>): Promise<void> {
    const env = msg.envelope;
    const { mod, state } = this.lookup(env.routing);
    if (!mod || !state) return;
    let acquired = false;
    try {
      let data = env.request;
      // Without download middleware the envelope's data goes to the downloader as is: no wrapper, no copies.
      if (mod.downloadMiddleware.length > 0) {
        let request = Request.fromData(data);
        const ctx = this.runContext(mod, env.routing);
        for (const mw of mod.downloadMiddleware) {
          if (!mw.beforeRequest) continue;
          const next = await mw.beforeRequest(request, ctx);
          if (next === null) return; // a middleware chose to drop it: its decision, counted as handled
          request = next;
        }
        data = request.toData();
      }
      const wait = mod.semaphore.acquire();
      if (wait) await wait;
      acquired = true;
      state.requests++;
      this.metrics.requestStarted(mod.name);
      const sentAt = performance.now();
      let responseData: ResponseData;
      try {
        // Rate limits (module, group, host), politeness, robots.txt, proxies, sessions and the response cache.
        responseData = await this.coordinator.download(data, mod.downloadPolicy);
      } catch (err) {
        this.metrics.responseReceived(mod.name, 'error', performance.now() - sentAt, 0);
        throw err;
      }
      this.metrics.responseReceived(
        mod.name,
        statusClassOf(responseData.status),
        performance.now() - sentAt,
        responseData.body.byteLength,
      );
      state.bytes += responseData.body.byteLength;
      this.totals.bytes += responseData.body.byteLength;
      const status = responseData.status;
      if (status >= 500 || status === 429) {
        throw new StageError('Download', `HTTP ${status} from ${data.url}`, true);
      }
      if (status >= 400) throw new StageError('Response', `HTTP ${status} from ${data.url}`, false);
      if (mod.downloadMiddleware.length > 0) {
        let response = new Response(responseData);
        const ctx = this.runContext(mod, env.routing);
        for (const mw of mod.downloadMiddleware) {
          if (!mw.afterResponse) continue;
          const next = await mw.afterResponse(response, ctx);
          if (next === null) return;
          response = next;
        }
        responseData = response.toData();
      }
      // The download slot is held until the response is committed, so at most `concurrency` downloads are ever
      // unpersisted: that bounds what a crash can make the crawl fetch again.
      acquired = false;
      const { committed, mustAwait } = this.publishFromHandler(
        'response',
        { kind: 'response', routing: env.routing, exec: env.exec, response: responseData },
        msg.priority,
        state,
      );
      void committed.then(mod.semaphore.releaser, mod.semaphore.releaser);
      if (mustAwait) await committed;
    } catch (err) {
      if (acquired) mod.semaphore.release();
      acquired = false;
      const kind: ErrorKind = err instanceof StageError ? err.kind : 'Download';
      await this.fail(env, 'request', kind, err, state);
    } finally {
      // A response dropped by middleware returns early with the slot still held.
      if (acquired) mod.semaphore.release();
      this.tracker.dec(env.routing.runId, state);
    }
  }

  private async onResponse(msg: QueueMessage<ResponseDispatchEnvelope>): Promise<void> {
    const env = msg.envelope;
    const { mod, state } = this.lookup(env.routing);
    if (!mod || !state) return;
    try {
      const node = this.node(mod.dag, env.routing.nodeKey);
      const response = new Response(env.response);
      const ctx: ParseContext = new PageParseContext(
        mod.name,
        node.key,
        env.routing,
        mod.config,
        response,
        this.logger,
      );
      let output: ParseOutput | undefined;
      try {
        // A synchronous parse() is not awaited: its DOM is then released in the same turn, before another page's
        // handler can run, so it is never alive at a young-generation GC that falls between two handlers.
        const parsed = node.instance.parse(response, ctx);
        output = isThenable(parsed) ? await parsed : parsed;
      } catch (err) {
        this.metrics.parserError(mod.name, node.key);
        throw new StageError('Parser', `parse failed: ${errorMessage(err)}`, true);
      } finally {
        // This handler stays suspended while its dispatches and items are written; the page's DOM must not stay
        // reachable that long, or it outlives a young-generation GC and is promoted (27 KB a page, measured).
        response.releaseParsed();
      }
      if (!output) throw new StageError('Parser', 'parse() returned no ParseOutput', false);
      for (const next of output.next) {
        if (!node.next.has(next.target)) {
          throw new StageError(
            'Parser',
            MocraMessages.undeclaredEdge(mod.name, node.key, next.target, [...node.next]),
            false,
          );
        }
      }
      state.pages++;
      this.totals.pages++;
      // Set before dispatching, so this output's own withNext work is already skipped.
      if (output.finished) state.finishedByParser = true;
      let published: Array<Promise<void>> | undefined;
      // Siblings share one routing per target and one exec: nothing mutates them, and a wide crawl can hold
      // hundreds of thousands of these dispatches in the queue at once, so each copy costs memory and GC time.
      // Allocated only for a page that dispatches: most pages of a crawl are leaves.
      let exec: ExecutionMeta | undefined;
      let routings: Map<string, RoutingMeta> | undefined;
      for (const next of output.next) {
        exec ??= this.exec();
        routings ??= new Map<string, RoutingMeta>();
        let routing = routings.get(next.target);
        if (routing === undefined) {
          routing = nextRouting(env.routing, next.target);
          routings.set(next.target, routing);
        }
        const dispatch: NodeDispatchEnvelope = {
          kind: 'node',
          routing,
          exec,
          targetNode: next.target,
          sourceNode: node.key,
          input: next.input,
        };
        const pending = this.forward('parser_task', dispatch, msg.priority, state);
        if (pending) (published ??= []).push(pending);
      }
      if (published !== undefined) await Promise.all(published);
      if (output.data.length > 0) {
        const runCtx = this.runContext(mod, env.routing);
        for (let itemIndex = 0; itemIndex < output.data.length; itemIndex++) {
          const data = output.data[itemIndex];
          this.metrics.itemEmitted(mod.name);
          const item: DataItem = {
            data,
            module: mod.name,
            nodeKey: node.key,
            runId: env.routing.runId,
            account: env.routing.account,
            platform: env.routing.platform,
            requestId: env.response.id,
            itemIndex,
            url: env.response.url,
            emittedAtMs: Date.now(),
          };
          if (await this.storeItem(mod, item, runCtx)) {
            state.items++;
            this.totals.items++;
          }
        }
      }
    } catch (err) {
      await this.fail(env, 'response', err instanceof StageError ? err.kind : 'Parser', err, state);
    } finally {
      this.tracker.dec(env.routing.runId, state);
    }
  }

  /** Runs the error policy: retry after a backoff, or dead-letter. */
  private async onError(msg: QueueMessage<NodeErrorEnvelope>): Promise<void> {
    const env = msg.envelope;
    const state = this.tracker.distributed
      ? this.tracker.handlerState(env.routing.runId, env.routing.module)
      : this.tracker.module(env.routing.runId, env.routing.module);
    try {
      const failed = env.failed;
      if (!failed) return;
      const mod = this.registry.get(env.routing.module);
      const node = mod?.dag.nodes.get(env.routing.nodeKey);
      const policy = this.policy.resolve({ kind: env.errorKind, stage: env.stage });
      const attempt = failed.exec.retryCount + 1;
      const retryable = policy.retryable && env.detail !== 'not-retryable' && node?.retryable !== false;
      if (retryable && attempt < policy.maxAttempts) {
        if (state) {
          state.retries++;
          this.tracker.inc(state);
        }
        this.totals.retries++;
        this.metrics.retry(env.routing.module, env.stage);
        const again = { ...failed, exec: { ...failed.exec, retryCount: attempt, updatedAtMs: Date.now() } };
        // The queue holds the retry for the backoff (a durable queue persists it first), so it survives a restart.
        try {
          await this.queue.publish(env.stage, again as PipelineEnvelope, msg.priority, {
            wait: false,
            delayMs: backoffDelayMs(policy.backoff, attempt),
          });
        } catch (err) {
          if (state) this.tracker.dec(env.routing.runId, state);
          throw err;
        }
        return;
      }
      if (policy.dlq === 'never') {
        this.logger.warn(`dropped by policy (dlq = never): ${env.message}`);
        return;
      }
      await this.queue.deadLetter(
        {
          id: uuidV7(),
          route: env.stage,
          priority: msg.priority,
          envelope: failed,
          attempt,
          enqueuedAtMs: Date.now(),
        },
        { reason: env.message, errorKind: env.errorKind, attempt },
      );
      if (state) state.deadLettered++;
      this.totals.deadLettered++;
      this.metrics.deadLettered(env.routing.module, env.stage);
    } finally {
      if (state) this.tracker.dec(env.routing.runId, state);
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------------------------

  private async generate(
    mod: RegisteredModule,
    state: ModuleRunState,
    node: DagNode,
    parent: RoutingMeta,
    input: unknown,
    priority: Priority,
  ): Promise<void> {
    const ctx: GenerateContext = {
      module: mod.name,
      nodeKey: node.key,
      runId: parent.runId,
      account: parent.account,
      platform: parent.platform,
      input,
      config: mod.config,
      logger: this.logger,
    };
    const generated = node.instance.generate(ctx);
    const result: GenerateResult = isThenable(generated) ? await generated : generated;
    if (result === null || result === undefined) return;
    if (result instanceof Request) return this.publishRequest(mod, state, node, parent, result, priority);
    if (Symbol.asyncIterator in result) {
      for await (const req of result) await this.publishRequest(mod, state, node, parent, req, priority);
      return;
    }
    for (const req of result) await this.publishRequest(mod, state, node, parent, req, priority);
  }

  private async publishRequest(
    mod: RegisteredModule,
    state: ModuleRunState,
    node: DagNode,
    parent: RoutingMeta,
    request: Request,
    defaultPriority: Priority,
  ): Promise<void> {
    if (!(request instanceof Request)) {
      throw new StageError(
        'Module',
        `module "${mod.name}" node "${node.key}": generate() yielded ${describe(request)}, expected a Request`,
        false,
      );
    }
    const data = dispatchData(request, mod.name, parent.account, parent.platform, parent.runId, node.key);
    let fingerprint: string | undefined;
    if (this.config.crawler.dedup) {
      // Scoped to the module too: two modules of one run may fetch the same URL for different purposes.
      fingerprint = requestFingerprint(data, `${parent.runId}\u0000${mod.name}`);
      if (!this.seenSet(parent.runId).add(fingerprint)) {
        state.duplicates++;
        this.totals.duplicates++;
        return;
      }
      // The id follows from the fingerprint: a request generated again after a crash (its parent redelivered) has
      // the same id, so stores that deduplicate by request id keep one copy of its items.
      data.id = fingerprint;
    }
    const priority = data.priority ?? defaultPriority;
    const envelope: RequestDispatchEnvelope = {
      kind: 'request',
      routing: childRouting(parent, node.key, data.id, priority),
      exec: this.exec(),
      request: data,
    };
    this.tracker.inc(state);
    const store = this.queue.stateStore;
    let published: Promise<void>;
    if (fingerprint && store) {
      // Durable run state: the request and its seen-set entry are written in the same event-loop turn, so they
      // commit in one batch: after a crash the request is either queued and seen, or neither (never lost, never
      // generated twice). Waiting for capacity first would split them across batches, so this publish does not wait.
      published = this.queue.publish('request', envelope, priority, { wait: false });
      store
        .appendToSet(seenSetName(parent.runId), Buffer.from(fingerprint.slice(0, 16), 'hex'))
        .catch((err: unknown) =>
          this.logger.error(`seen-set of run ${parent.runId} not persisted: ${String(err)}`),
        );
    } else {
      published = this.queue.publish('request', envelope, priority, { wait: true });
    }
    try {
      await published;
    } catch (err) {
      this.tracker.dec(parent.runId, state);
      throw err;
    }
  }

  /**
   * With a durable queue, rebuilds the runs that the previous process left unfinished: one pending count per
   * recovered message, and each run's persisted seen-set, before any delivery starts.
   */
  private async restoreRuns(): Promise<void> {
    const envelopes = this.queue.takeRecoveredEnvelopes?.() ?? [];
    if (envelopes.length === 0) return;
    const runs = new Set<string>();
    for (const env of envelopes) {
      if (!this.registry.get(env.routing.module)) continue;
      const state = this.tracker.restore(env.routing.runId, env.routing.module);
      if (env.kind === 'task') state.preProcessed = false;
      runs.add(env.routing.runId);
    }
    const store = this.queue.stateStore;
    for (const runId of runs) {
      const members = store ? await store.loadSet(seenSetName(runId)) : [];
      const seen = this.seenSet(runId);
      for (const member of members) seen.add(Buffer.from(member).toString('hex'));
      this.logger.log(`resumed run ${runId}: ${members.length} requests already seen`);
    }
  }

  private async storeItem(mod: RegisteredModule, item: DataItem, ctx: ModuleRunContext): Promise<boolean> {
    let current: DataItem | null = item;
    // Index loops and a first attempt without a closure: this runs for every item of the crawl.
    const dataMiddleware = mod.dataMiddleware;
    for (let i = 0; i < dataMiddleware.length; i++) {
      const mw = dataMiddleware[i]!;
      const input: DataItem = current;
      current = await this.withRetries('DataMiddleware', () => mw.handleData(input, ctx));
      if (current === null) return false;
    }
    const stores = mod.storeMiddleware;
    for (let i = 0; i < stores.length; i++) {
      const { name, handler: store } = stores[i]!;
      let toStore: DataItem | null = current;
      if (store.beforeStore) {
        const input: DataItem = current;
        toStore = await this.withRetries('DataStore', () => store.beforeStore!(input, ctx));
      }
      if (toStore === null) continue;
      const stored = toStore;
      try {
        const done = store.store(stored, ctx);
        if (isThenable(done)) await done;
      } catch (err) {
        await this.retryAfterFailure('DataStore', err, () => store.store(stored, ctx));
      }
      this.metrics.itemStored(mod.name, name);
      if (store.afterStore) await this.withRetries('DataStore', () => store.afterStore!(stored, ctx));
    }
    return true;
  }

  /** Retries a data/store step in place (re-running the whole parse would duplicate the other items). */
  private async withRetries<T>(kind: ErrorKind, fn: () => T | Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      return this.retryAfterFailure(kind, err, fn);
    }
  }

  /** The retries after a first failed attempt of `fn`, as the error policy of `kind` allows. */
  private async retryAfterFailure<T>(
    kind: ErrorKind,
    firstError: unknown,
    fn: () => T | Promise<T>,
  ): Promise<T> {
    let err = firstError;
    for (let attempt = 1; ; attempt++) {
      // Resolved only on failure: this wraps every store of every item.
      const policy = this.policy.resolve({ kind, stage: 'response' });
      if (!policy.retryable || attempt >= policy.maxAttempts) {
        throw new StageError(kind, `${kind} failed after ${attempt} attempt(s): ${errorMessage(err)}`, false);
      }
      await new Promise((r) => setTimeout(r, backoffDelayMs(policy.backoff, attempt)));
      try {
        return await fn();
      } catch (next) {
        err = next;
      }
    }
  }

  /**
   * Publishes work produced while handling a message (never waiting for capacity). With a backend whose writes
   * commit in order (the durable local queue), the handler need not wait for the commit: its ack is written in the
   * same or a later batch, so the ack can never land without this message. Other backends (Kafka) return the
   * promise, and the handler waits before it is acknowledged.
   */
  private forward(
    route: Route,
    envelope: PipelineEnvelope,
    priority: Priority,
    state: ModuleRunState,
  ): Promise<void> | undefined {
    const { committed, mustAwait } = this.publishFromHandler(route, envelope, priority, state);
    return mustAwait ? committed : undefined;
  }

  private publishFromHandler(
    route: Route,
    envelope: PipelineEnvelope,
    priority: Priority,
    state: ModuleRunState,
  ): { committed: Promise<void>; mustAwait: boolean } {
    this.tracker.inc(state);
    const published = this.queue.publish(route, envelope, priority, PUBLISH_NO_WAIT);
    if (!this.queue.orderedWrites) {
      const committed = published.then(undefined, (err: unknown) => {
        this.tracker.dec(envelope.routing.runId, state);
        throw err;
      });
      return { committed, mustAwait: true };
    }
    // Nobody waits on this one to see an error, so it is logged here and the promise settles either way.
    const committed = published.then(undefined, (err: unknown) => {
      this.tracker.dec(envelope.routing.runId, state);
      this.logger.error(`${route} message of run ${envelope.routing.runId} not persisted: ${String(err)}`);
    });
    return { committed, mustAwait: false };
  }

  private async fail(
    env: PipelineEnvelope,
    stage: Route,
    kind: ErrorKind,
    err: unknown,
    state: ModuleRunState,
  ): Promise<void> {
    state.errors++;
    this.totals.errors++;
    const retryable =
      err instanceof StageError ? err.retryable : err instanceof DownloadError ? err.retryable : true;
    const error: NodeErrorEnvelope = {
      kind: 'error',
      routing: env.routing,
      exec: env.exec,
      stage,
      errorKind: kind,
      message: errorMessage(err),
      detail: retryable ? undefined : 'not-retryable',
      failed: env,
    };
    // If even this fails, the throw makes the queue nack the original message: it is retried, not lost.
    await this.forward('error_task', error, env.routing.priority, state);
  }

  private async completeModuleRun(run: RunState, state: ModuleRunState): Promise<void> {
    this.metrics.runFinished(state.module);
    const mod = this.registry.get(state.module);
    this.coordinator.endRun(state.module, run.runId);
    if (run.done) {
      this.dropSeenSet(run.runId);
      this.queue.stateStore?.clearSet(seenSetName(run.runId)).catch(() => undefined);
    }
    if (!mod?.hooks.postProcess) return;
    try {
      await mod.hooks.postProcess(
        {
          module: mod.name,
          runId: run.runId,
          account: mod.account,
          platform: mod.platform,
          config: mod.config,
        },
        state.summary(),
      );
    } catch (err) {
      this.logger.error(`module "${mod.name}" postProcess failed for run ${run.runId}: ${errorMessage(err)}`);
    }
  }

  private seenSet(runId: string): SeenSet {
    let set = this.seen.get(runId);
    if (!set) {
      set = new SeenSet();
      this.seen.set(runId, set);
    }
    return set;
  }

  private dropSeenSet(runId: string): void {
    this.seen.delete(runId);
  }

  private lookup(routing: RoutingMeta): { mod?: RegisteredModule; state?: ModuleRunState } {
    const mod = this.registry.get(routing.module);
    if (!mod) {
      this.logger.error(
        `message for module "${routing.module}", which this process does not have: acknowledged`,
      );
      return {};
    }
    if (this.tracker.distributed)
      return { mod, state: this.tracker.handlerState(routing.runId, routing.module) };
    const known = this.tracker.module(routing.runId, routing.module);
    const state = known && !known.done ? known : this.tracker.adopt(routing.runId, routing.module);
    return { mod, state };
  }

  private node(dag: ModuleDag, key: string): DagNode {
    const node = dag.nodes.get(key);
    if (!node) throw new StageError('Module', `module "${dag.module}": no node "${key}"`, false);
    return node;
  }

  private routing(
    mod: RegisteredModule,
    nodeKey: string,
    runId: string,
    priority: Priority,
    account?: string,
    platform?: string,
  ): RoutingMeta {
    return {
      namespace: this.config.name,
      account: account ?? mod.account,
      platform: platform ?? mod.platform,
      module: mod.name,
      nodeKey,
      runId,
      priority,
    };
  }

  private exec(): ExecutionMeta {
    const now = Date.now();
    return { retryCount: 0, taskRetryCount: 0, profileVersion: 0, createdAtMs: now, updatedAtMs: now };
  }

  private runContext(mod: RegisteredModule, routing: RoutingMeta): ModuleRunContext {
    return {
      module: mod.name,
      runId: routing.runId,
      account: routing.account,
      platform: routing.platform,
      config: mod.config,
    };
  }
}

// Shared: a handler's publishes never wait for capacity (see publishFromHandler), and the options are read only.
const PUBLISH_NO_WAIT: PublishOptions = { wait: false };

function seenSetName(runId: string): string {
  return `seen:${runId}`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'Object'})`;
  return `a ${typeof value}`;
}

/** A parse() context: a class, so building one per page is a plain allocation and `request` is a prototype getter. */
class PageParseContext implements ParseContext {
  readonly runId: string;
  readonly account: string;
  readonly platform: string;

  constructor(
    readonly module: string,
    readonly nodeKey: string,
    routing: RoutingMeta,
    readonly config: Readonly<Record<string, unknown>>,
    private readonly response: Response,
    readonly logger: Logger,
  ) {
    this.runId = routing.runId;
    this.account = routing.account;
    this.platform = routing.platform;
  }

  /** Built only if the parser asks: most parsers never look, and the Request view copies the request data. */
  get request(): Request {
    return this.response.request;
  }
}

// Does not compile once RoutingMeta gains a field that nextRouting and childRouting below do not copy.
const _ROUTING_FIELDS_COPIED = {
  namespace: true,
  account: true,
  platform: true,
  module: true,
  nodeKey: true,
  runId: true,
  requestId: true,
  parentRequestId: true,
  priority: true,
  depth: true,
} satisfies Record<keyof RoutingMeta, true>;

/** The routing of a withNext dispatch from the page `parent` routed: one hop deeper, `parent`'s request its parent. */
function nextRouting(parent: RoutingMeta, target: string): RoutingMeta {
  const routing: RoutingMeta = {
    namespace: parent.namespace,
    account: parent.account,
    platform: parent.platform,
    module: parent.module,
    nodeKey: target,
    runId: parent.runId,
    priority: parent.priority,
    depth: Math.min((parent.depth ?? 0) + 1, MAX_CRAWL_DEPTH),
  };
  if (parent.requestId !== undefined) {
    routing.requestId = parent.requestId;
    routing.parentRequestId = parent.requestId;
  }
  return routing;
}

/**
 * `parent` with a new node, request and priority, spelled out rather than spread: a spread of routing objects of
 * varying shapes is a megamorphic copy, and this runs for every generated request.
 */
function childRouting(
  parent: RoutingMeta,
  nodeKey: string,
  requestId: string,
  priority: Priority,
): RoutingMeta {
  const routing: RoutingMeta = {
    namespace: parent.namespace,
    account: parent.account,
    platform: parent.platform,
    module: parent.module,
    nodeKey,
    runId: parent.runId,
    requestId,
    priority,
  };
  if (parent.parentRequestId !== undefined) routing.parentRequestId = parent.parentRequestId;
  if (parent.depth !== undefined) routing.depth = parent.depth;
  return routing;
}
