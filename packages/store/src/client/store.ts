/**
 * The `Store` a program holds. It is always a client of the leader over the Unix socket,
 * whichever process hosts the leader; when this member wins the election it also hosts the
 * leader engine (in a worker thread) and talks to it over the same socket. Failover swaps what
 * is behind the socket, never the object the program holds.
 *
 * What happens when the leader dies, in one place (`onConnectionLost` → `elect`): the socket
 * closes, the member tries the election lock without blocking; the winner starts an engine, the
 * others connect to it with a short jittered backoff; requests in flight are re-sent with the
 * same ids (the new leader answers writes the old one committed from its applied-requests
 * table) and requests made meanwhile wait, each bounded by its timeout.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { EventEmitter } from 'eventemitter3';
import { StoreError, type WireError } from '../errors';
import type { Election } from '../election/election';
import { FlockElection } from '../election/flock-election';
import { LockfileElection } from '../election/lockfile-election';
import { LeaderHost } from '../leader/leader-host';
import type { ResolvedOptions } from '../options';
import { storePaths, type StorePaths } from '../paths';
import { PROTOCOL_VERSION, type LeaderFrame, type Operation, type TransactionMode, type WireResultSet } from '../protocol/messages';
import { VERSION } from '../version';
import { HeirStandby } from './heir-standby';
import { LeaderConnection } from './leader-connection';
import { LeaderWatcher } from './leader-watcher';
import { toResultSet, toWireStatement, toWireStatements, type InArgs, type InStatement, type ResultSet } from './statements';
import type { StoreStatus } from './status';
import { StoreTransaction } from './transaction';

/** What this member is: hosting the leader, forwarding to it, looking for it, or closed. */
export type StoreRole = 'leader' | 'follower' | 'electing' | 'closed';

/** Emitted when this member reaches a new leader after losing the previous one. */
export interface FailoverEvent {
  /** The pid of the leader that was lost. */
  fromPid: number;
  /** The pid of the new leader. */
  toPid: number;
  /** The new leader's epoch. */
  epoch: number;
  /** Milliseconds from noticing the loss to being welcomed by the new leader. */
  ms: number;
}

/** A notification published with `notify()` by any member. */
export interface NotifyEvent {
  channel: string;
  payload: unknown;
}

/** The typed events of a `Store`. */
export interface StoreEvents {
  /** The role changed (`electing` when the leader is lost, `leader`/`follower` once connected, `closed`). */
  role: (role: StoreRole) => void;
  /** This member reached a new leader after losing one. */
  failover: (event: FailoverEvent) => void;
  /** A member published a notification; delivered after the commit it followed. */
  notify: (event: NotifyEvent) => void;
  /** A background failure (the hosted engine failed or stepped down); request failures reject their promise instead. */
  error: (error: StoreError) => void;
}

interface PendingRequest {
  id: number;
  op: Operation;
  resolve: (value: unknown) => void;
  reject: (error: StoreError) => void;
  /** When it times out (performance.now() ms). Every request has the same timeout, so pending requests are in deadline order. */
  deadline: number;
  /** The connection it was last sent on; null while unsent. */
  sentOn: LeaderConnection | null;
  /** For transaction requests: the connection generation the transaction lives on. */
  generation: number | undefined;
}

/** Errors after which electing again cannot help: the store gives up. */
const FATAL_CODES = new Set(['SCHEMA_CONFLICT', 'PROTOCOL_ERROR', 'PERMISSION_DENIED']);
/** How long a member that stepped down leaves the election to the others. */
const STEP_DOWN_PAUSE_MS = 250;
const MAX_BACKOFF_MS = 50;
/** How long one connection attempt waits for the leader's welcome before the election loop tries again. */
const WELCOME_TIMEOUT_MS = 1000;

/** A member's handle on the shared database. Create with `openStore`. */
export class Store extends EventEmitter<StoreEvents> {
  private readonly paths: StorePaths;
  private readonly election: Election;
  private readonly leaderWatcher: LeaderWatcher;
  private readonly clientId = randomUUID();
  private readonly pending = new Map<number, PendingRequest>();
  /** Ids of `begin` requests that timed out after being sent; see `onLateResponse`. */
  private readonly abandonedBegins = new Set<number>();
  /** Called once no request is in flight (close waits for that). */
  private readonly drainWaiters: (() => void)[] = [];
  private nextId = 1;
  private connection: LeaderConnection | null = null;
  /** Bumped on every new connection; transactions are bound to the one they began on. */
  private generation = 0;
  private host: LeaderHost | null = null;
  private readonly heirStandby: HeirStandby;
  /** One timer for the earliest deadline of all pending requests (a timer per request costs more than the request). */
  private deadlineTimer: NodeJS.Timeout | undefined;
  private currentRole: StoreRole = 'electing';
  private currentEpoch = 0;
  private leaderPid = 0;
  private lostAt: number | null = null;
  private electing = false;
  private candidacyPausedUntil = 0;
  private closing = false;
  private closePromise: Promise<void> | null = null;
  private fatal: StoreError | null = null;
  /** Why this member last failed to host the leader, for the NO_LEADER message of `openStore`. */
  private lastElectionError: StoreError | null = null;

  /** @internal use `openStore` */
  constructor(private readonly options: ResolvedOptions) {
    super();
    this.paths = storePaths(options.path);
    this.election = options.lock === 'lockfile' ? new LockfileElection(this.paths.lock) : new FlockElection(this.paths.lock);
    this.leaderWatcher = new LeaderWatcher(this.paths.record, this.paths.socket);
    this.heirStandby = new HeirStandby(
      {
        databasePath: this.paths.database,
        socketPath: this.paths.socket,
        recordPath: this.paths.record,
        synchronous: options.synchronous,
        name: options.name,
        pid: process.pid,
        version: VERSION,
        maxFrameBytes: options.maxFrameBytes,
        runawayPath: this.paths.runaways,
      },
      () => options.candidate && !this.closing && this.host === null,
    );
  }

  /** @internal Elects or finds the leader; resolves once connected. */
  async start(): Promise<void> {
    const connected = new Promise<void>((resolve, reject) => {
      // Ref'd on purpose: the caller is waiting for this promise, so the process must not exit
      // under it just because every election timer is unref'd.
      const timer = setTimeout(() => {
        const last = this.lastElectionError;
        const why = last === null ? '' : ` (hosting it here failed: ${last.message})`;
        reject(new StoreError('NO_LEADER', `no leader could be reached within ${this.options.requestTimeoutMs} ms${why}`, last === null ? {} : { cause: last }));
      }, this.options.requestTimeoutMs);
      const onRole = (role: StoreRole): void => {
        if (role === 'leader' || role === 'follower') done();
        else if (role === 'closed') done(this.fatal ?? new StoreError('STORE_CLOSED', 'the store was closed while opening'));
      };
      const done = (error?: StoreError): void => {
        clearTimeout(timer);
        this.off('role', onRole);
        if (error) reject(error);
        else resolve();
      };
      this.on('role', onRole);
    });
    void this.elect();
    try {
      await connected;
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** This member's role. `leader` means this process hosts the leader engine. */
  get role(): StoreRole {
    return this.currentRole;
  }

  /** The epoch of the leader this member last reached (0 before the first). */
  get epoch(): number {
    return this.currentEpoch;
  }

  /** True once `close()` has been called. */
  get closed(): boolean {
    return this.closing;
  }

  /** This member's name, as shown in status. */
  get name(): string {
    return this.options.name;
  }

  /**
   * Runs one statement on the leader. Reads see the last committed state; writes are
   * committed (durably, with `synchronous: 'full'`) before the promise resolves, exactly once.
   */
  async execute(statement: InStatement, args?: InArgs): Promise<ResultSet> {
    const stmt = toWireStatement(statement, args);
    return toResultSet((await this.request({ k: 'execute', stmt })) as WireResultSet);
  }

  /**
   * Runs statements atomically in one round trip: all of them commit, or none.
   * @param mode - `write` (default), `read` (a snapshot, never waits for writes) or `deferred`
   */
  async batch(statements: InStatement[], mode: TransactionMode = 'write'): Promise<ResultSet[]> {
    checkMode(mode);
    const stmts = toWireStatements(statements);
    const results = (await this.request({ k: 'batch', stmts, mode })) as WireResultSet[];
    return results.map(toResultSet);
  }

  /**
   * Opens an interactive transaction held by the leader. A `write` transaction holds the writer
   * (other writes queue behind it, reads do not) and is rolled back after `transactionTimeoutMs`
   * or if the leader dies. A `read` transaction is a snapshot.
   */
  async transaction(mode: TransactionMode = 'write'): Promise<StoreTransaction> {
    checkMode(mode);
    const { txId } = (await this.request({ k: 'begin', mode, timeoutMs: this.options.transactionTimeoutMs })) as { txId: number };
    return new StoreTransaction(this, txId, this.generation);
  }

  /** Publishes a notification to every member (this one included) after the current group commit. */
  async notify(channel: string, payload?: unknown): Promise<void> {
    if (typeof channel !== 'string' || channel.length === 0) throw new StoreError('INVALID_ARGUMENT', 'notify needs a non-empty channel name');
    await this.request({ k: 'notify', channel, payload: payload ?? null });
  }

  /** The leader's view of the fleet: who leads, who is connected, counters, database sizes, recent failovers. */
  async status(): Promise<StoreStatus> {
    return (await this.request({ k: 'status' })) as StoreStatus;
  }

  /**
   * The safe "init": drops every application table and view and replays the recorded
   * migrations, in one leader transaction. Baton's own tables and the database file stay.
   */
  async reset(): Promise<void> {
    await this.request({ k: 'reset' });
  }

  /**
   * Writes a consistent copy of the database to `dest` (an absolute path that must not exist
   * yet), taken by the leader with VACUUM INTO. The fleet stays up, but its requests wait for
   * the copy to finish.
   */
  async backup(dest: string): Promise<{ dest: string; bytes: number }> {
    if (typeof dest !== 'string' || !path.isAbsolute(dest)) throw new StoreError('INVALID_ARGUMENT', 'backup needs an absolute destination path');
    return (await this.request({ k: 'backup', dest })) as { dest: string; bytes: number };
  }

  /**
   * Asks the leader to hand over: it finishes its queued work and steps down; another candidate
   * takes over (the member that hosted it waits briefly before standing again).
   * @returns the pid and epoch of the leader that stepped down
   */
  async stepDown(): Promise<{ pid: number; epoch: number }> {
    return (await this.request({ k: 'stepdown' })) as { pid: number; epoch: number };
  }

  /**
   * Closes the store: waits for this member's requests in flight, then, if it hosts the leader,
   * lets the engine finish every member's queued work and hand over to another candidate.
   * Idempotent: later calls return the same promise.
   */
  close(): Promise<void> {
    this.closePromise ??= this.shutdown();
    return this.closePromise;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    this.heirStandby.close();
    await this.settled();
    this.leaderWatcher.close();
    const host = this.host;
    this.host = null;
    this.connection?.close();
    this.connection = null;
    if (host !== null) await host.stop(`${this.options.name} is closing`, true);
    for (const request of this.pending.values()) this.settle(request, new StoreError('STORE_CLOSED', 'the store was closed'));
    this.setRole('closed');
  }

  /** Resolves when every request in flight has settled (each is bounded by its own timeout). */
  private settled(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** @internal Sends one operation to the leader and resolves with its result. */
  request(op: Operation, generation?: number): Promise<unknown> {
    if (this.closing && op.k !== 'rollback') return Promise.reject(new StoreError('STORE_CLOSED', 'the store is closed'));
    if (this.fatal !== null) return Promise.reject(this.fatal);
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const request: PendingRequest = { id, op, resolve, reject, deadline: performance.now() + this.options.requestTimeoutMs, sentOn: null, generation };
      this.pending.set(id, request);
      this.armDeadline();
      if (this.connection !== null) this.transmit(request, this.connection);
    });
  }

  private transmit(request: PendingRequest, connection: LeaderConnection): void {
    if (request.generation !== undefined && request.generation !== this.generation) {
      // The transaction died with its leader. Only a commit is worth asking about: the old
      // leader may have committed it, and the new one can tell from its applied-requests table.
      if (request.op.k !== 'commit' && request.op.k !== 'rollback') {
        return this.settle(request, new StoreError('TRANSACTION_ABORTED', 'the leader changed while the transaction was open; it was rolled back'));
      }
    }
    const retry = request.sentOn !== null;
    try {
      // Pending requests are kept in id order, so the first is the lowest one still unsettled.
      const low = this.pending.keys().next().value as number;
      connection.send(retry ? { t: 'req', id: request.id, low, retry: true, op: request.op } : { t: 'req', id: request.id, low, op: request.op });
      request.sentOn = connection;
    } catch (error) {
      this.settle(request, error instanceof StoreError ? error : new StoreError('INVALID_ARGUMENT', String(error)));
    }
  }

  /** Arms the deadline timer for the earliest pending request, unless it is armed already. */
  private armDeadline(): void {
    if (this.deadlineTimer !== undefined) return;
    const first = this.pending.values().next().value as PendingRequest | undefined;
    if (first === undefined) return;
    this.deadlineTimer = setTimeout(() => this.expireOverdue(), Math.max(0, first.deadline - performance.now()));
    this.deadlineTimer.unref();
  }

  /** Times out every request past its deadline (they are the oldest), then re-arms for the next. */
  private expireOverdue(): void {
    this.deadlineTimer = undefined;
    const now = performance.now();
    for (const request of this.pending.values()) {
      if (request.deadline > now) break;
      this.expire(request.id);
    }
    this.armDeadline();
  }

  private expire(id: number): void {
    const request = this.pending.get(id);
    if (request === undefined) return;
    const connection = this.connection;
    const error =
      connection === null
        ? new StoreError('NO_LEADER', `no leader was reachable within ${this.options.requestTimeoutMs} ms`)
        : new StoreError('TIMEOUT', `the leader did not answer within ${this.options.requestTimeoutMs} ms (a write may or may not have been applied)`);
    this.settle(request, error);
    // A transaction the leader grants after we gave up on it would hold the writer for nothing.
    if (request.op.k === 'begin' && request.sentOn !== null) this.abandonedBegins.add(id);
    // With a lease (lockfile), a silent leader can be overtaken: drop it and stand for election.
    // With flock a silent leader still holds the lock, so nobody could take over: stay connected.
    if (connection !== null && this.options.lock === 'lockfile') {
      connection.close();
      this.onConnectionLost(connection);
    }
  }

  private settle(request: PendingRequest, outcome: StoreError | { ok: unknown }): void {
    if (!this.pending.delete(request.id)) return;
    if (outcome instanceof StoreError) request.reject(outcome);
    else request.resolve(outcome.ok);
    if (this.pending.size === 0) for (const drained of this.drainWaiters.splice(0)) drained();
  }

  private onFrame(frame: LeaderFrame): void {
    if (frame.t === 'res') {
      const request = this.pending.get(frame.id);
      if (request === undefined) return this.onLateResponse(frame); // timed out meanwhile
      this.settle(request, frame.err !== undefined ? StoreError.fromWire(frame.err as WireError) : { ok: frame.ok });
    } else if (frame.t === 'notify') {
      this.emit('notify', { channel: frame.channel, payload: frame.payload });
    } else if (frame.t === 'heir') {
      this.heirStandby.named(frame.pid);
    }
  }

  /** A response to a request that already timed out: roll back a transaction granted too late. */
  private onLateResponse(frame: { id: number; ok?: unknown }): void {
    if (!this.abandonedBegins.delete(frame.id)) return;
    const txId = (frame.ok as { txId?: unknown } | undefined)?.txId;
    if (typeof txId === 'number') this.request({ k: 'rollback', txId }, this.generation).catch(() => undefined);
  }

  private onConnectionLost(connection: LeaderConnection): void {
    this.abandonedBegins.clear(); // their transactions die with the connection
    if (this.connection !== connection) return;
    this.connection = null;
    if (this.closePromise !== null && this.pending.size === 0) return;
    this.lostAt = Date.now();
    this.setRole('electing');
    void this.elect();
  }

  /**
   * Finds the leader, becoming it if the lock is free: try the lock (candidates), connect,
   * back off with jitter, repeat until connected, closed, or a fatal refusal.
   */
  private async elect(): Promise<void> {
    if (this.electing) return;
    this.electing = true;
    const startedAt = this.lostAt ?? Date.now();
    let backoff = 1;
    this.leaderWatcher.watch();
    try {
      while (this.fatal === null && !(this.closePromise !== null && this.pending.size === 0)) {
        if (this.options.candidate && !this.closing && this.host === null && Date.now() >= this.candidacyPausedUntil && !this.heirStandby.heirHasHeadStart(startedAt)) {
          await this.tryToLead(startedAt);
        }
        try {
          // The member hosting the leader knows where its engine listens, before the record says so.
          const socketPath = this.host !== null ? this.paths.socket : this.leaderWatcher.socketPath();
          const connection = await LeaderConnection.open(socketPath, this.hello(), {
            onFrame: (frame) => this.onFrame(frame),
            onClose: () => this.onConnectionLost(connection),
          }, Math.min(this.options.requestTimeoutMs, WELCOME_TIMEOUT_MS), this.options.maxFrameBytes);
          this.connected(connection);
          return;
        } catch (error) {
          if (error instanceof StoreError && FATAL_CODES.has(error.code)) return this.failFatally(error);
        }
        await this.leaderWatcher.sleep(backoff * (0.5 + Math.random()));
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    } finally {
      this.leaderWatcher.unwatch();
      this.electing = false;
    }
  }

  private async tryToLead(electionStartedAt: number): Promise<void> {
    let lock;
    try {
      lock = await this.election.tryAcquire((reason) => this.onLeaseLost(reason));
    } catch (error) {
      const failure = new StoreError('LEADER_FAILED', `could not try the election lock: ${(error as Error).message}`, { cause: error });
      this.lastElectionError = failure;
      this.emit('error', failure);
      return;
    }
    if (lock === null) return;
    const standby = this.heirStandby.take();
    try {
      const host = await LeaderHost.start(standby, lock, electionStartedAt, {
        statementTimeoutMs: this.options.statementTimeoutMs,
        onRunaway: (error) => this.emit('error', error),
      });
      this.host = host;
      void host.whenStopped().then((stopped) => {
        if (this.host === host) this.host = null;
        this.candidacyPausedUntil = Date.now() + STEP_DOWN_PAUSE_MS;
        if (!this.closing && !stopped.graceful) this.emit('error', new StoreError('LEADER_FAILED', `the leader hosted here stepped down: ${stopped.reason}`));
      });
    } catch (error) {
      const failure = error instanceof StoreError ? error : new StoreError('LEADER_FAILED', String(error));
      if (FATAL_CODES.has(failure.code)) return this.failFatally(failure);
      this.candidacyPausedUntil = Date.now() + STEP_DOWN_PAUSE_MS;
      this.lastElectionError = failure;
      this.emit('error', failure);
    }
  }

  private onLeaseLost(reason: string): void {
    void this.host?.stop(reason, false);
  }

  private connected(connection: LeaderConnection): void {
    const { welcome } = connection;
    const previousPid = this.leaderPid;
    this.connection = connection;
    this.generation++;
    this.currentEpoch = welcome.epoch;
    this.leaderPid = welcome.leaderPid;
    if (this.lostAt !== null && previousPid !== 0) {
      this.heirStandby.failedOver();
      this.emit('failover', { fromPid: previousPid, toPid: welcome.leaderPid, epoch: welcome.epoch, ms: Date.now() - this.lostAt });
    }
    this.lostAt = null;
    this.setRole(welcome.leaderPid === process.pid && this.host !== null ? 'leader' : 'follower');
    for (const request of [...this.pending.values()]) this.transmit(request, connection);
  }

  private failFatally(error: StoreError): void {
    this.fatal = error;
    for (const request of this.pending.values()) this.settle(request, error);
    this.emit('error', error);
    void this.close();
  }

  private setRole(role: StoreRole): void {
    if (this.currentRole === role) return;
    this.currentRole = role;
    this.emit('role', role);
  }

  private hello() {
    return {
      t: 'hello' as const,
      v: PROTOCOL_VERSION,
      clientId: this.clientId,
      pid: process.pid,
      name: this.options.name,
      candidate: this.options.candidate,
      migrations: this.options.migrations,
    };
  }
}

function checkMode(mode: unknown): void {
  if (mode !== 'write' && mode !== 'read' && mode !== 'deferred') {
    throw new StoreError('INVALID_ARGUMENT', `transaction mode must be "write", "read" or "deferred", got ${JSON.stringify(mode)}`);
  }
}

export type { InArgs, InStatement, ResultSet };
