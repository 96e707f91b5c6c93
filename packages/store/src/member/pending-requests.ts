/**
 * The pending-request book of one member: every request sent (or waiting to be sent) to the
 * leader, until it settles. Kept in id order, which is also deadline order (every request has
 * the same timeout), so one timer serves them all and the first entry is the lowest id still
 * unsettled (the low watermark each request carries).
 */
import { toError, type BatonError, type StoreError } from '../errors';
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

/** The smallest ring (a power of two): the span of ids in flight doubles it as needed. */
const FIRST_CAPACITY = 16;

/**
 * The requests of one member, in id order, with one deadline timer. They sit in a ring indexed
 * by id (ids are consecutive): booking and settling a request allocate nothing, where a `Map`
 * reallocated its table about twice per request (it shrinks when it empties, as it does after
 * every request of a member with one in flight). The ring spans from the lowest unsettled id to
 * the newest, so one request left unsettled long while many others pass keeps that span (8
 * bytes an id) until it settles or times out.
 */
export class PendingRequests {
  /** Request `id` is at `slots[id & mask]` while `lowest <= id < nextId`, undefined once settled. */
  private slots: (PendingRequest | undefined)[] = new Array<PendingRequest | undefined>(FIRST_CAPACITY).fill(undefined);
  private mask = FIRST_CAPACITY - 1;
  /** Every id below this one has settled; it is unsettled itself unless none is. */
  private lowest = 1;
  private nextId = 1;
  private count = 0;
  /** Called once no request is in flight (close waits for that). */
  private readonly drainWaiters: (() => void)[] = [];
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
    return this.count;
  }

  /** The lowest unsettled id (the member will never re-send anything below it). */
  get lowestId(): number | undefined {
    return this.count === 0 ? undefined : this.lowest;
  }

  /**
   * Books a new request. The returned promise settles with the leader's answer, typed by the
   * operation (the leader answers each operation with its `OperationResults` entry), passed
   * through `shape`: the caller's conversion runs as the answer arrives, not one promise later,
   * and what it throws rejects the promise.
   */
  add<O extends Operation, R>(
    op: O,
    generation: number | undefined,
    shape: (result: ResultOf<O>) => R,
  ): { request: PendingRequest; result: Promise<R> } {
    if (this.nextId - this.lowest > this.mask) this.grow();
    let request!: PendingRequest;
    const result = new Promise<R>((resolve, reject) => {
      const id = this.nextId++;
      request = {
        id,
        op,
        deadline: performance.now() + this.timeoutMs,
        sentOn: null,
        generation,
        resolve: (value) => {
          let shaped: R;
          try {
            // The one place a wire value meets its static type: the leader is trusted to answer
            // an operation with its result shape, as it is trusted with the data itself.
            shaped = shape(value as ResultOf<O>);
          } catch (error) {
            reject(toError(error));
            return;
          }
          resolve(shaped);
        },
        reject,
      };
      this.slots[id & this.mask] = request;
      this.count++;
    });
    this.armDeadline();
    return { request, result };
  }

  /** The request with this id, if still unsettled. */
  get(id: number): PendingRequest | undefined {
    if (!Number.isSafeInteger(id) || id < this.lowest || id >= this.nextId) return undefined;
    return this.slots[id & this.mask];
  }

  /** Every unsettled request, in id order (a snapshot: settling during iteration is safe). */
  all(): PendingRequest[] {
    const requests: PendingRequest[] = [];
    for (let id = this.lowest; id < this.nextId; id++) {
      const request = this.slots[id & this.mask];
      if (request !== undefined) requests.push(request);
    }
    return requests;
  }

  /** Settles `request` with the leader's result; a request settles once, later calls are ignored. */
  fulfil(request: PendingRequest, value: unknown): void {
    if (!this.remove(request)) return;
    request.resolve(value);
    this.drainedIfEmpty();
  }

  /** Settles `request` with an error; a request settles once, later calls are ignored. */
  fail(request: PendingRequest, error: BatonError): void {
    if (!this.remove(request)) return;
    request.reject(error);
    this.drainedIfEmpty();
  }

  /** Settles every request with `error`. */
  failAll(error: StoreError): void {
    for (const request of this.all()) this.fail(request, error);
  }

  /** Resolves when every request has settled (each is bounded by its own timeout). */
  drained(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Takes `request` out of the ring; false when it had settled already. */
  private remove(request: PendingRequest): boolean {
    if (this.get(request.id) !== request) return false;
    this.slots[request.id & this.mask] = undefined;
    this.count--;
    while (this.lowest < this.nextId && this.slots[this.lowest & this.mask] === undefined) this.lowest++;
    return true;
  }

  private drainedIfEmpty(): void {
    if (this.count === 0 && this.drainWaiters.length > 0) for (const drained of this.drainWaiters.splice(0)) drained();
  }

  /** Doubles the ring, placing each unsettled request at its index in the larger one. */
  private grow(): void {
    const slots = new Array<PendingRequest | undefined>(this.slots.length * 2).fill(undefined);
    const mask = slots.length - 1;
    for (let id = this.lowest; id < this.nextId; id++) slots[id & mask] = this.slots[id & this.mask];
    this.slots = slots;
    this.mask = mask;
  }

  /** Arms the deadline timer for the earliest pending request, unless it is armed already. */
  private armDeadline(): void {
    if (this.deadlineTimer !== undefined) return;
    if (this.count === 0) return;
    const first = this.slots[this.lowest & this.mask]!;
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
