/**
 * The dispatcher of a dispatching gateway: claims ready tasks and runs them, up to
 * `maxWorkers` at a time. It reacts to the store's `kanban.ready` notifications (a task became
 * ready somewhere in the fleet), so a new task is claimed within milliseconds, and runs a slow
 * safety sweep that releases stale claims (their worker died with its gateway), promotes tasks
 * whose parents are done and claims anything a lost notification left behind.
 *
 * Several dispatchers never run the same claim: `Board.claim` is a compare-and-swap applied by
 * the single leader, and a worker whose claim was released stops (`CLAIM_LOST`).
 */
import { EventEmitter } from 'node:events';
import type { NotifyEvent, Store } from '@baton/store';
import { READY_CHANNEL, type Board, type Claim, type ReadyNotice } from '../board';
import { KanbanError } from '../errors';
import type { Task } from '../types';
import type { Work } from './simulated-work';

/** How many announced task ids a dispatcher remembers for the `direct` flag. */
const MAX_ANNOUNCED = 10_000;

/** What set off a claim pass. */
export type ClaimTrigger = 'start' | 'notify' | 'sweep' | 'capacity';

/**
 * Events of a `Dispatcher`, each named after a step of a task's life in this gateway.
 * As with every Node emitter, an `error` without a listener throws: the gateway always listens.
 */
export interface DispatcherEvents {
  /**
   * This dispatcher claimed a task. `latencyMs`: from the task's creation to the claim's
   * commit. `direct`: claimed in the first claim pass after the notice of the task's creation
   * reached this dispatcher, so `latencyMs` measures the notify path rather than time spent
   * queueing behind other work or in earlier runs.
   */
  claimed: [event: { task: Task; runId: string; latencyMs: number; trigger: ClaimTrigger; direct: boolean }];
  /** The work succeeded and the completion was committed. */
  completed: [event: { taskId: string; runId: string }];
  /** The work failed and the failure was committed (the task was retried or blocked). */
  failed: [event: { taskId: string; runId: string; blocked: boolean; error: string }];
  /** The claim was released under this worker (it stalled past its TTL): its result was discarded. */
  lost: [event: { taskId: string; runId: string }];
  /** The sweep released stale claims of other (dead) workers. */
  released: [event: { taskIds: string[] }];
  /** A background failure (the store timed out, say); the dispatcher carries on. */
  error: [error: Error];
}

/** Dispatcher settings. */
export interface DispatcherOptions {
  maxWorkers: number;
  claimTtlMs: number;
  heartbeatMs: number;
  sweepMs: number;
  work: Work;
}

/** Claims and runs ready tasks for one gateway. */
export class Dispatcher extends EventEmitter<DispatcherEvents> {
  private readonly running = new Map<string, AbortController>();
  /**
   * Everything started in the background that talks to the store: sweeps, claim passes and
   * work being run and recorded. `stop` waits for all of it, so the gateway closes its store
   * only once nothing is left that would send a request to a closed store.
   */
  private readonly busy = new Set<Promise<void>>();
  private pumping = false;
  private pumpAgain: ClaimTrigger | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Set by a stop without drain: work claimed by a pass still in flight is aborted at once. */
  private abortNewWork = false;
  /** Claim passes started so far; a notice is "direct" for the pass that follows it. */
  private passes = 0;
  /** For announced tasks not yet claimed here: the pass that will see them first. Bounded. */
  private readonly announced = new Map<string, number>();
  private readonly onNotify = (event: NotifyEvent): void => {
    if (event.channel !== READY_CHANNEL) return;
    const notice = event.payload as Partial<ReadyNotice> | null;
    const ids = notice?.taskIds;
    // Only a creation notice: a released or retried task's latency from creation includes its earlier runs.
    if (notice?.reason === 'created' && Array.isArray(ids)) {
      for (const id of ids) if (typeof id === 'string') this.announced.set(id, this.passes + 1);
      while (this.announced.size > MAX_ANNOUNCED) this.announced.delete(this.announced.keys().next().value as string);
    }
    this.pump('notify');
  };

  /**
   * @param board - the gateway's board
   * @param store - where `kanban.ready` notifications arrive
   */
  constructor(
    private readonly board: Board,
    private readonly store: Pick<Store, 'on' | 'off'>,
    private readonly options: DispatcherOptions,
  ) {
    super();
  }

  /** Number of tasks being worked on right now. */
  get active(): number {
    return this.running.size;
  }

  /** Starts listening for ready tasks and sweeping; claims what is ready now. */
  start(): void {
    this.store.on('notify', this.onNotify);
    this.sweepTimer = setInterval(() => void this.sweep(), this.options.sweepMs);
    this.sweepTimer.unref();
    this.pump('start');
  }

  /**
   * Stops claiming and waits until the dispatcher sends no more requests: a sweep or a claim
   * pass already under way finishes (a task it claims is worked like the others). With `drain`,
   * waits for the work in progress to finish and be recorded; without, aborts it (the claims
   * expire and another dispatcher picks the tasks up).
   */
  async stop(drain: boolean): Promise<void> {
    this.stopped = true;
    this.store.off('notify', this.onNotify);
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    if (!drain) {
      this.abortNewWork = true;
      for (const controller of this.running.values()) controller.abort();
    }
    while (this.busy.size > 0) await Promise.allSettled([...this.busy]);
  }

  /** The safety sweep: release stale claims, promote, claim what is left. Public for tests and the CLI. */
  sweep(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return this.track(this.sweepOnce());
  }

  /** Adds `work` to what `stop` waits for, until it settles. */
  private track(work: Promise<void>): Promise<void> {
    this.busy.add(work);
    void work.finally(() => this.busy.delete(work));
    return work;
  }

  private async sweepOnce(): Promise<void> {
    try {
      const released = await this.board.releaseStale();
      if (released.length > 0) this.emit('released', { taskIds: released });
      await this.board.promote();
    } catch (error) {
      this.emit('error', error as Error);
    }
    this.pump('sweep');
  }

  /** Claims tasks while there is capacity; concurrent triggers coalesce into one more pass. */
  private pump(trigger: ClaimTrigger): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain ??= trigger;
      return;
    }
    this.pumping = true;
    void this.track(
      this.claimWhileFree(trigger).finally(() => {
        this.pumping = false;
        const again = this.pumpAgain;
        this.pumpAgain = null;
        if (again !== null) this.pump(again);
      }),
    );
  }

  private async claimWhileFree(trigger: ClaimTrigger): Promise<void> {
    const pass = ++this.passes;
    while (!this.stopped && this.running.size < this.options.maxWorkers) {
      let claim: Claim | null;
      try {
        claim = await this.board.claim({ ttlMs: this.options.claimTtlMs });
      } catch (error) {
        this.emit('error', error as Error);
        return;
      }
      if (claim === null) return;
      const direct = this.announced.get(claim.task.id) === pass;
      this.announced.delete(claim.task.id);
      this.emit('claimed', {
        task: claim.task,
        runId: claim.run.id,
        latencyMs: Date.now() - claim.task.createdAt,
        trigger,
        direct,
      });
      this.startWork(claim);
    }
  }

  private startWork(claim: Claim): void {
    const controller = new AbortController();
    if (this.abortNewWork) controller.abort();
    this.running.set(claim.run.id, controller);
    void this.track(
      this.runWork(claim, controller).finally(() => {
        this.running.delete(claim.run.id);
        this.pump('capacity');
      }),
    );
  }

  /** Runs the work with heartbeats, then records its outcome. */
  private async runWork(claim: Claim, controller: AbortController): Promise<void> {
    const { task, run } = claim;
    const heartbeat = setInterval(() => {
      this.board.heartbeat(run.id, this.options.claimTtlMs).catch((error: unknown) => {
        if (error instanceof KanbanError && error.code === 'CLAIM_LOST') controller.abort();
        else this.emit('error', error as Error);
      });
    }, this.options.heartbeatMs);
    heartbeat.unref();
    let outcome;
    try {
      outcome = await this.options.work(task, controller.signal);
    } finally {
      clearInterval(heartbeat);
    }
    if (controller.signal.aborted) {
      // Lost claim or a stop without drain: the claim expires (or was released) and the task is redone elsewhere.
      if (!this.stopped) this.emit('lost', { taskId: task.id, runId: run.id });
      return;
    }
    try {
      if (outcome.ok) {
        await this.board.complete(run.id, outcome.result);
        this.emit('completed', { taskId: task.id, runId: run.id });
      } else {
        const after = await this.board.fail(run.id, outcome.error);
        this.emit('failed', {
          taskId: task.id,
          runId: run.id,
          blocked: after.status === 'blocked',
          error: outcome.error,
        });
      }
    } catch (error) {
      if (error instanceof KanbanError && error.code === 'CLAIM_LOST')
        this.emit('lost', { taskId: task.id, runId: run.id });
      else this.emit('error', error as Error);
    }
  }
}
