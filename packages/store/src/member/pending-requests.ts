/**
 * The pending-request book of one member: every request sent (or waiting to be sent) to the
 * leader, until it settles. Kept in id order, which is also deadline order (every request has
 * the same timeout), so one timer serves them all and the first entry is the lowest id still
 * unsettled (the low watermark each request carries).
 */
import { StoreError, type BatonError } from '../errors';
import type { Operation, ResultOf } from '../protocol/messages';
import type { LeaderConnection } from './leader-connection';

/** One request in flight. */
export interface PendingRequest {
  readonly id: number;
  readonly op: Operation;
  /** When it times out (performance.now() ms). */
  readonly deadline: number;
  /** The connection it was last sent on; null while unsent. */
  sentOn: LeaderConnection | null;
  /** For transaction requests: the connection generation the transaction lives on. */
  readonly generation: number | undefined;
  resolve(value: unknown): void;
  reject(error: BatonError): void;
}

/** The requests of one member, in id order, with one deadline timer. */
export class PendingRequests {
  private readonly byId = new Map<number, PendingRequest>();
  /** Called once no request is in flight (close waits for that). */
  private readonly drainWaiters: (() => void)[] = [];
  private nextId = 1;
  private deadlineTimer: NodeJS.Timeout | undefined;

  /**
   * @param timeoutMs - how long every request may take
   * @param onExpired - called for each request past its deadline; it must settle it
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly onExpired: (request: PendingRequest) => void,
  ) {}

  /** How many requests are unsettled. */
  get size(): number {
    return this.byId.size;
  }

  /** The lowest unsettled id (the member will never re-send anything below it). */
  get lowestId(): number | undefined {
    return this.byId.keys().next().value;
  }

  /**
   * Books a new request. The returned promise settles with the leader's answer, typed by the
   * operation: the leader answers each operation with its `OperationResults` entry.
   */
  add<O extends Operation>(
    op: O,
    generation: number | undefined,
  ): { request: PendingRequest; result: Promise<ResultOf<O>> } {
    let request!: PendingRequest;
    const result = new Promise<ResultOf<O>>((resolve, reject) => {
      const id = this.nextId++;
      request = {
        id,
        op,
        deadline: performance.now() + this.timeoutMs,
        sentOn: null,
        generation,
        // The one place a wire value meets its static type: the leader is trusted to answer an
        // operation with its result shape, as it is trusted with the data itself.
        resolve: (value) => resolve(value as ResultOf<O>),
        reject,
      };
      this.byId.set(id, request);
    });
    this.armDeadline();
    return { request, result };
  }

  /** The request with this id, if still unsettled. */
  get(id: number): PendingRequest | undefined {
    return this.byId.get(id);
  }

  /** Every unsettled request, in id order (a snapshot: settling during iteration is safe). */
  all(): PendingRequest[] {
    return [...this.byId.values()];
  }

  /** Settles `request` with a result or an error; a request settles once, later calls are ignored. */
  settle(request: PendingRequest, outcome: BatonError | { ok: unknown }): void {
    if (!this.byId.delete(request.id)) return;
    if (outcome instanceof StoreError) request.reject(outcome);
    else request.resolve(outcome.ok);
    if (this.byId.size === 0) for (const drained of this.drainWaiters.splice(0)) drained();
  }

  /** Settles every request with `error`. */
  failAll(error: StoreError): void {
    for (const request of this.all()) this.settle(request, error);
  }

  /** Resolves when every request has settled (each is bounded by its own timeout). */
  drained(): Promise<void> {
    if (this.byId.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Arms the deadline timer for the earliest pending request, unless it is armed already. */
  private armDeadline(): void {
    if (this.deadlineTimer !== undefined) return;
    const first = this.byId.values().next().value;
    if (first === undefined) return;
    this.deadlineTimer = setTimeout(() => this.expireOverdue(), Math.max(0, first.deadline - performance.now()));
    this.deadlineTimer.unref();
  }

  /** Times out every request past its deadline (they are the oldest), then re-arms for the next. */
  private expireOverdue(): void {
    this.deadlineTimer = undefined;
    const now = performance.now();
    for (const request of this.all()) {
      if (request.deadline > now) break;
      this.onExpired(request);
    }
    this.armDeadline();
  }
}
