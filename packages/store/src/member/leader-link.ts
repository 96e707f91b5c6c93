/**
 * A member's link to whichever leader is current. It is always a client of the leader over
 * the Unix socket, whichever process hosts the leader; when this member wins the election it
 * also hosts the leader engine (in a worker thread) and talks to it over the same socket.
 *
 * What happens when the leader dies, in one place (`onConnectionLost` → `elect`): the socket
 * closes, the member tries the election lock without blocking; the winner starts an engine, the
 * others connect to it with a short jittered backoff; requests in flight are re-sent with the
 * same ids (the new leader answers writes the old one committed from its applied-requests
 * table) and requests made meanwhile wait, each bounded by its timeout.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { EventEmitter } from 'eventemitter3';
import { StoreError } from '../errors';
import type { Election } from '../election/election';
import { FlockElection } from '../election/flock-election';
import { LockfileElection } from '../election/lockfile-election';
import type { ResolvedOptions } from '../options';
import { storePaths, type StorePaths } from '../paths';
import {
  PROTOCOL_VERSION,
  type HelloFrame,
  type LeaderFrame,
  type Operation,
  type ResultOf,
  type WelcomeFrame,
} from '../protocol/messages';
import { removeStaleSockets } from '../stale-sockets';
import { VERSION } from '../version';
import { HeirStandby } from './heir-standby';
import { LeaderConnection } from './leader-connection';
import { LeaderHost } from './leader-host';
import { LeaderWatcher } from './leader-watcher';
import { PendingRequests, type PendingRequest } from './pending-requests';
import { LeaderWarnings } from './leader-warnings';
import type { StoreEvents, StoreRole } from './store-events';

/** Errors after which electing again cannot help: the member gives up. */
const FATAL_CODES = new Set(['SCHEMA_CONFLICT', 'PROTOCOL_ERROR', 'PERMISSION_DENIED']);
/** How long a member that stepped down leaves the election to the others. */
const STEP_DOWN_PAUSE_MS = 250;
const MAX_BACKOFF_MS = 50;
/** How long one connection attempt waits for the leader's welcome before the election loop tries again. */
const WELCOME_TIMEOUT_MS = 1000;

/** Elects, hosts or finds the leader, sends requests to it and re-sends them after a failover. */
export class LeaderLink {
  private readonly paths: StorePaths;
  private readonly election: Election;
  private readonly leaderWatcher: LeaderWatcher;
  /**
   * Names this member instance for exactly-once: 128 random bits in base64url, 22 characters
   * (a UUID's 36 carry no more). It is the key of every exactly-once record the leader writes,
   * in every write's own transaction, so a shorter one keeps those records small.
   */
  private readonly clientId = randomBytes(16).toString('base64url');
  private readonly pending: PendingRequests;
  /** Ids of `begin` requests that timed out after being sent; see `onLateResponse`. */
  private readonly abandonedBegins = new Set<number>();
  private connection: LeaderConnection | null = null;
  /** Bumped on every new connection; transactions are bound to the one they began on. */
  private currentGeneration = 0;
  private host: LeaderHost | null = null;
  /** The election's attempt to host the leader here, while it runs (it may be starting an engine). */
  private hosting: Promise<void> | null = null;
  private readonly heirStandby: HeirStandby;
  private readonly warnings: LeaderWarnings;
  private currentRole: StoreRole = 'electing';
  private currentEpoch = 0;
  private leaderPid = 0;
  private lostAt: number | null = null;
  private electing = false;
  private candidacyPausedUntil = 0;
  private closing = false;
  private fatal: StoreError | null = null;
  /** False until `connect()` or the first request starts looking for the leader (`createClient` is lazy). */
  private started = false;
  /** Why this member last failed to host the leader, for the NO_LEADER message of `openStore`. */
  private lastElectionError: StoreError | null = null;

  /**
   * @param options - the member's validated options
   * @param events - where role changes, failovers, notifications and background errors are emitted
   * @param onFatal - called after a fatal refusal (the store then closes itself)
   * @param hooks - `onWelcome`: called with each leader's welcome, before requests are sent to
   *   it; `beforeLockRelease`: called when an engine hosted here has closed the database, before
   *   the election lock is released (the member closes what it has open on the file then)
   */
  constructor(
    private readonly options: ResolvedOptions,
    private readonly events: EventEmitter<StoreEvents>,
    private readonly onFatal: () => void,
    private readonly hooks: { onWelcome: (welcome: WelcomeFrame) => void; beforeLockRelease: () => void },
  ) {
    this.paths = storePaths(options.path);
    this.election =
      options.lock === 'lockfile'
        ? new LockfileElection(this.paths.lock, options.fileMode)
        : new FlockElection(this.paths.lock, options.fileMode);
    this.warnings = new LeaderWarnings(this.paths, options.fileMode, (warning) => this.events.emit('error', warning));
    this.leaderWatcher = new LeaderWatcher(this.paths.record, this.paths.socket);
    this.pending = new PendingRequests(options.requestTimeoutMs, (request) => this.expire(request));
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
        lockPath: this.paths.lock,
        socketLink: this.paths.socketLink,
        fileMode: options.fileMode,
      },
      () => options.candidate && !this.closing && this.host === null,
    );
  }

  /** This member's role. `leader` means this process hosts the leader engine. */
  get role(): StoreRole {
    return this.currentRole;
  }

  /** The epoch of the leader this member last reached (0 before the first). */
  get epoch(): number {
    return this.currentEpoch;
  }

  /** The current connection's generation: a transaction lives and dies with the connection it began on. */
  get generation(): number {
    return this.currentGeneration;
  }

  /**
   * Elects or finds the leader; resolves once connected. Rejects with `NO_LEADER` after
   * `requestTimeoutMs`, or with the fatal refusal that made the member give up.
   */
  connect(): Promise<void> {
    const connected = new Promise<void>((resolve, reject) => {
      // Ref'd on purpose: the caller is waiting for this promise, so the process must not exit
      // under it just because every election timer is unref'd.
      const timer = setTimeout(
        () => reject(this.noLeader(`no leader could be reached within ${this.options.requestTimeoutMs} ms`)),
        this.options.requestTimeoutMs,
      );
      const onRole = (role: StoreRole): void => {
        if (role === 'leader' || role === 'follower') done();
        else if (role === 'closed')
          done(this.fatal ?? new StoreError('CLIENT_CLOSED', 'the store was closed while opening'));
      };
      const done = (error?: StoreError): void => {
        clearTimeout(timer);
        this.events.off('role', onRole);
        if (error) reject(error);
        else resolve();
      };
      this.events.on('role', onRole);
    });
    this.started = true;
    void this.elect();
    return connected.then(() => this.warnings.opened());
  }

  /**
   * Sends one operation to the leader (now, or once one is reached) and resolves with its
   * result passed through `shape` (see `PendingRequests.add`).
   */
  request<O extends Operation, R>(
    op: O,
    generation: number | undefined,
    shape: (result: ResultOf<O>) => R,
  ): Promise<R> {
    if (this.closing && op.k !== 'rollback') return Promise.reject(closedError());
    if (this.fatal !== null) return Promise.reject(this.fatal);
    if (!this.started) {
      this.started = true;
      void this.elect();
    }
    const { request, result } = this.pending.add(op, generation, shape);
    if (this.connection !== null) this.transmit(request, this.connection);
    return result;
  }

  /**
   * Waits for this member's requests in flight, then, if it hosts the leader, lets the engine
   * finish every member's queued work and hand over to another candidate.
   */
  async close(): Promise<void> {
    this.closing = true;
    this.heirStandby.close();
    await this.pending.drained();
    // The election may be starting an engine here right now (it won the lock before `closing`
    // was set): wait for it, so that the engine is stopped below instead of being left running,
    // holding the database and keeping this process alive, after close() resolved.
    await this.hosting;
    this.leaderWatcher.close();
    const host = this.host;
    this.host = null;
    this.connection?.close();
    this.connection = null;
    if (host !== null) await host.stop(`${this.options.name} is closing`, true);
    this.pending.failAll(closedError());
    this.setRole('closed');
  }

  /** After `close()`: usable again, looking for the leader anew at the next request. */
  reopen(): void {
    this.closing = false;
    this.fatal = null;
    this.started = false;
    this.currentRole = 'electing';
    this.heirStandby.reopen();
  }

  /** `NO_LEADER`, saying why hosting the leader here failed if it did (that failure is the cause). */
  private noLeader(message: string): StoreError {
    const last = this.lastElectionError;
    if (last === null) return new StoreError('NO_LEADER', message);
    return new StoreError('NO_LEADER', `${message} (hosting it here failed: ${last.message})`, { cause: last });
  }

  private transmit(request: PendingRequest, connection: LeaderConnection): void {
    if (request.generation !== undefined && request.generation !== this.currentGeneration) {
      // The transaction died with its leader. Only a commit is worth asking about: the old
      // leader may have committed it, and the new one can tell from its applied-requests table.
      if (request.op.k !== 'commit' && request.op.k !== 'rollback') {
        return this.pending.fail(
          request,
          new StoreError(
            'TRANSACTION_ABORTED',
            'the leader changed while the transaction was open; it was rolled back',
          ),
        );
      }
    }
    const retry = request.sentOn !== null;
    try {
      const low = this.pending.lowestId;
      // A lone request (none other in flight) is the whole of its turn: it goes out at once.
      // With others in flight, more are likely in this turn (answers arrive together), and
      // they go out in one write.
      connection.send(
        retry
          ? { t: 'req', id: request.id, low, retry: true, op: request.op }
          : { t: 'req', id: request.id, low, op: request.op },
        this.pending.size === 1,
      );
      request.sentOn = connection;
    } catch (error) {
      this.pending.fail(
        request,
        error instanceof StoreError ? error : new StoreError('INVALID_ARGUMENT', String(error)),
      );
    }
  }

  private expire(request: PendingRequest): void {
    const connection = this.connection;
    const error =
      connection === null
        ? this.noLeader(`no leader was reachable within ${this.options.requestTimeoutMs} ms`)
        : new StoreError(
            'TIMEOUT',
            `the leader did not answer within ${this.options.requestTimeoutMs} ms (a write may or may not have been applied)`,
          );
    this.pending.fail(request, error);
    // A transaction the leader grants after we gave up on it would hold the writer for nothing.
    if (request.op.k === 'begin' && request.sentOn !== null) this.abandonedBegins.add(request.id);
    // With a lease (lockfile), a silent leader can be overtaken: drop it and stand for election.
    // With flock a silent leader still holds the lock, so nobody could take over: stay connected.
    if (connection !== null && this.options.lock === 'lockfile') {
      connection.close();
      this.onConnectionLost(connection);
    }
  }

  private onFrame(frame: LeaderFrame): void {
    if (frame.t === 'res') {
      const request = this.pending.get(frame.id);
      if (request === undefined) return this.onLateResponse(frame); // timed out meanwhile
      if (frame.err !== undefined) this.pending.fail(request, StoreError.fromWire(frame.err));
      else this.pending.fulfil(request, frame.ok);
    } else if (frame.t === 'notify') {
      this.events.emit('notify', { channel: frame.channel, payload: frame.payload });
    } else if (frame.t === 'heir') {
      this.heirStandby.named(frame.pid);
    }
  }

  /** A response to a request that already timed out: roll back a transaction granted too late. */
  private onLateResponse(frame: { id: number; ok?: unknown }): void {
    if (!this.abandonedBegins.delete(frame.id)) return;
    const txId = (frame.ok as { txId?: unknown } | undefined)?.txId;
    if (typeof txId === 'number')
      this.request({ k: 'rollback', txId }, this.currentGeneration, asIs).catch(() => undefined);
  }

  private onConnectionLost(connection: LeaderConnection): void {
    this.abandonedBegins.clear(); // their transactions die with the connection
    if (this.connection !== connection) return;
    this.connection = null;
    if (this.closing && this.pending.size === 0) return;
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
      while (this.fatal === null && !(this.closing && this.pending.size === 0)) {
        if (
          this.options.candidate &&
          !this.closing &&
          this.host === null &&
          Date.now() >= this.candidacyPausedUntil &&
          !this.heirStandby.heirHasHeadStart(startedAt)
        ) {
          this.hosting = this.tryToLead(startedAt);
          await this.hosting;
          this.hosting = null;
          if (this.closing && this.pending.size === 0) return; // close() stops what was started
        }
        try {
          // The member hosting the leader knows where its engine listens, before the record says so.
          const socketPath = this.host !== null ? this.paths.socket : this.leaderWatcher.socketPath();
          const connection = await LeaderConnection.open(
            socketPath,
            this.hello(),
            { onFrame: (frame) => this.onFrame(frame), onClose: () => this.onConnectionLost(connection) },
            Math.min(this.options.requestTimeoutMs, WELCOME_TIMEOUT_MS),
            this.options.maxFrameBytes,
          );
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
      const failure = new StoreError('LEADER_FAILED', `could not try the election lock: ${(error as Error).message}`, {
        cause: error,
      });
      this.lastElectionError = failure;
      this.events.emit('error', failure);
      return;
    }
    if (lock === null) return;
    const standby = this.heirStandby.take();
    try {
      const host = await LeaderHost.start(standby, lock, electionStartedAt, {
        statementTimeoutMs: this.options.statementTimeoutMs,
        onRunaway: (error) => this.events.emit('error', error),
        beforeLockRelease: this.hooks.beforeLockRelease,
      });
      this.host = host;
      if (host.setAside.length > 0)
        this.warnings.say(
          new StoreError(
            'DATABASE_REPLACED',
            `the database file was replaced or deleted while no leader watched it: the old file's WAL was moved aside (${host.setAside.join(', ')}) so that it is not replayed into the new file`,
          ),
        );
      // A new leader tidies the runtime directory, and looks at who else can read its files.
      removeStaleSockets(path.dirname(this.paths.socket));
      this.warnings.checkPermissions();
      void host.whenStopped().then((stopped) => {
        if (this.host === host) this.host = null;
        this.candidacyPausedUntil = Date.now() + STEP_DOWN_PAUSE_MS;
        if (!this.closing && !stopped.graceful)
          this.events.emit(
            'error',
            new StoreError('LEADER_FAILED', `the leader hosted here stepped down: ${stopped.reason}`),
          );
      });
    } catch (error) {
      const failure = error instanceof StoreError ? error : new StoreError('LEADER_FAILED', String(error));
      if (FATAL_CODES.has(failure.code)) return this.failFatally(failure);
      this.candidacyPausedUntil = Date.now() + STEP_DOWN_PAUSE_MS;
      this.lastElectionError = failure;
      this.events.emit('error', failure);
    }
  }

  private onLeaseLost(reason: string): void {
    void this.host?.stop(reason, false);
  }

  private connected(connection: LeaderConnection): void {
    const { welcome } = connection;
    const hosting = welcome.leaderPid === process.pid && this.host !== null;
    this.hooks.onWelcome(welcome);
    const previousPid = this.leaderPid;
    this.connection = connection;
    this.currentGeneration++;
    this.currentEpoch = welcome.epoch;
    this.leaderPid = welcome.leaderPid;
    if (this.lostAt !== null && previousPid !== 0) {
      this.heirStandby.failedOver();
      this.events.emit('failover', {
        fromPid: previousPid,
        toPid: welcome.leaderPid,
        epoch: welcome.epoch,
        ms: Date.now() - this.lostAt,
      });
    }
    this.lostAt = null;
    this.setRole(hosting ? 'leader' : 'follower');
    for (const request of this.pending.all()) this.transmit(request, connection);
  }

  private failFatally(error: StoreError): void {
    this.fatal = error;
    this.pending.failAll(error);
    this.events.emit('error', error);
    this.onFatal();
  }

  private setRole(role: StoreRole): void {
    if (this.currentRole === role) return;
    this.currentRole = role;
    this.events.emit('role', role);
  }

  private hello(): HelloFrame {
    return {
      t: 'hello',
      v: PROTOCOL_VERSION,
      clientId: this.clientId,
      pid: process.pid,
      name: this.options.name,
      candidate: this.options.candidate,
      migrations: this.options.migrations,
      reads: this.options.reads,
      lang: 'node',
      version: VERSION,
    };
  }
}

/** The `shape` of a request whose caller takes the leader's answer as it is. */
export function asIs<T>(value: T): T {
  return value;
}

/** What every request of a closed client is answered with, as by @libsql/client. */
export function closedError(): StoreError {
  return new StoreError('CLIENT_CLOSED', 'The client is closed');
}
