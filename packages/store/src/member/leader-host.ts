/**
 * The main-thread side of hosting the leader: holds the election lock, runs the engine in a
 * worker thread, and releases the lock only after the engine has closed the database, so two
 * engines never have the file open at once.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { StoreError, type BatonError } from '../errors';
import type { LeaderLock } from '../election/election';
import { BusyMarker } from '../protocol/busy-marker';
import { recordRunaway } from '../runaway-list';
import type { FromWorker, StopReport, ToWorker, WorkerInput } from '../protocol/worker-messages';
import type { WarmReport } from '../leader/warm-up';

const WORKER_FILE = path.join(__dirname, '..', 'leader', 'worker-main.js');
const RUNAWAY_CHECK_MS = 250;
const RUNAWAY_GRACE_MS = 1000;
const LOCK_CHECK_MS = 500;

/** A booted engine thread waiting to be started, with its shared busy mark. */
export interface Standby {
  worker: Worker;
  marker: BusyMarker;
  runawayPath: string;
  /** The mode of the runaway list if this host writes it. */
  fileMode: number;
  /** How its warm-up went, once over (null if the thread ended first). */
  warmed: Promise<WarmReport | null>;
}

/**
 * Releases the election lock once the engine has closed the database, after `beforeLockRelease`
 * closed the member's own connections to the file, whatever that did.
 */
function releaseLock(lock: LeaderLock, beforeLockRelease: () => void): void {
  try {
    beforeLockRelease();
  } finally {
    lock.release();
  }
}

/** A running leader engine hosted by this process. */
export class LeaderHost {
  private stoppedWaiters: ((stopped: StopReport) => void)[] = [];
  private result: StopReport | null = null;

  private constructor(
    private readonly worker: Worker,
    private readonly lock: LeaderLock,
    /** The epoch this leader committed as its first act. */
    readonly epoch: number,
    /** Where the engine moved the -wal and -shm of a file the path no longer named, before opening it. */
    readonly setAside: readonly string[],
    private readonly beforeLockRelease: () => void,
  ) {}

  /**
   * Creates a standby engine thread: it loads its modules now and waits, so that winning an
   * election later costs only opening the database. Unref'd: a standby never keeps the process
   * alive.
   */
  static standby(input: Omit<WorkerInput, 'marker'>): Standby {
    const marker = BusyMarker.allocate();
    const worker = new Worker(WORKER_FILE, { workerData: { ...input, marker } satisfies WorkerInput });
    worker.unref();
    worker.on('error', () => undefined); // a standby that failed to boot is reported when started
    const warmed = new Promise<WarmReport | null>((resolve) => {
      worker.on('message', (message: FromWorker) => {
        if (message.t === 'warmed') resolve(message);
      });
      worker.once('exit', () => resolve(null));
    });
    return {
      worker,
      marker: new BusyMarker(marker),
      runawayPath: input.runawayPath,
      fileMode: input.fileMode,
      warmed,
    };
  }

  /**
   * Starts the engine in `standby` under `lock` and resolves once it listens. On failure the
   * lock is released, the thread ended, and the promise rejects with the engine's coded error.
   * @param electionStartedAt - when this election began, for the failover history
   * @param watch - the runaway-statement limit, who to tell before the engine is stopped, and
   *   what to close before the lock is released (the member's own connections to the file)
   */
  static start(
    standby: Standby,
    lock: LeaderLock,
    electionStartedAt: number,
    watch: { statementTimeoutMs: number; onRunaway: (error: StoreError) => void; beforeLockRelease: () => void },
  ): Promise<LeaderHost> {
    const { worker } = standby;
    worker.ref();
    return new Promise((resolve, reject) => {
      let host: LeaderHost | null = null;
      const failed = (error: BatonError): void => {
        releaseLock(lock, watch.beforeLockRelease);
        void worker.terminate();
        reject(error);
      };
      worker.on('message', (message: FromWorker) => {
        if (message.t === 'ready') {
          host = new LeaderHost(worker, lock, message.epoch, message.setAside, watch.beforeLockRelease);
          host.watchForRunaways(standby, watch.statementTimeoutMs, watch.onRunaway);
          host.watchLock();
          resolve(host);
        } else if (message.t === 'failed') {
          failed(StoreError.fromWire(message.err));
        } else if (message.t === 'stopped') {
          host?.ended({ reason: message.reason, graceful: message.graceful });
        }
      });
      worker.on('error', (error) => {
        if (host === null)
          failed(
            new StoreError('LEADER_FAILED', `the leader engine crashed while starting: ${error.message}`, {
              cause: error,
            }),
          );
        else host.ended({ reason: `the leader engine crashed: ${error.message}`, graceful: false });
      });
      worker.on('exit', () => {
        if (host === null) failed(new StoreError('LEADER_FAILED', 'the leader engine exited while starting'));
        else host.ended({ reason: 'the leader engine exited', graceful: false });
      });
      worker.postMessage({ t: 'start', electionStartedAt } satisfies ToWorker);
    });
  }

  /**
   * Steps down when the lock file is deleted or replaced under us: whoever opens the new file
   * can lock it and lead too, so staying would leave two processes with the database open
   * (fencing would still keep us from committing, but not from holding the file).
   */
  private watchLock(): void {
    const timer = setInterval(() => {
      if (this.lock.isIntact()) return;
      clearInterval(timer);
      void this.stop('the election lock file was deleted or replaced', false);
    }, LOCK_CHECK_MS);
    timer.unref();
    void this.whenStopped().then(() => clearInterval(timer));
  }

  /** Checks the engine's busy mark from this (main) thread; see protocol/busy-marker.ts for why. */
  private watchForRunaways(standby: Standby, limitMs: number, onRunaway: (error: StoreError) => void): void {
    const timer = setInterval(() => {
      const busy = standby.marker.read();
      if (busy === null || Date.now() - busy.since <= limitMs) return;
      clearInterval(timer);
      const ms = Date.now() - busy.since;
      recordRunaway(
        standby.runawayPath,
        { clientId: busy.clientId, seq: busy.seq, at: Date.now(), ms },
        standby.fileMode,
      );
      onRunaway(
        new StoreError(
          'STATEMENT_TIMEOUT',
          `a request of client ${busy.clientId} ran for ${ms} ms (limit ${limitMs} ms); stopping the leader engine`,
        ),
      );
      // Terminating the thread works if it is in JS; native SQLite code never yields to it,
      // and then ending this process is the only way to close the database file.
      const exited = new Promise<boolean>((resolve) => this.worker.once('exit', () => resolve(true)));
      void this.worker.terminate();
      const grace = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), RUNAWAY_GRACE_MS).unref());
      void Promise.race([exited, grace]).then((stoppedCleanly) => {
        if (!stoppedCleanly) process.kill(process.pid, 'SIGKILL');
      });
    }, RUNAWAY_CHECK_MS);
    timer.unref();
    void this.whenStopped().then(() => clearInterval(timer));
  }

  /** Resolves when the engine has stopped and the lock is released. */
  whenStopped(): Promise<StopReport> {
    if (this.result !== null) return Promise.resolve(this.result);
    return new Promise((resolve) => this.stoppedWaiters.push(resolve));
  }

  /**
   * Stops the engine; resolves once it has closed the database and the lock is released.
   * Graceful: it finishes queued work and open transactions first. Not graceful (the lease was
   * lost): it stops at once and commits nothing more.
   */
  stop(reason: string, graceful: boolean): Promise<StopReport> {
    if (this.result === null) this.worker.postMessage({ t: 'stop', reason, graceful } satisfies ToWorker);
    return this.whenStopped();
  }

  /** Called once the database is closed (or the worker is gone): now the lock can go. */
  private ended(stopped: StopReport): void {
    if (this.result !== null) return;
    this.result = stopped;
    releaseLock(this.lock, this.beforeLockRelease);
    void this.worker.terminate();
    for (const waiter of this.stoppedWaiters) waiter(stopped);
    this.stoppedWaiters = [];
  }
}
