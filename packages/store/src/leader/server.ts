/**
 * The leader's socket server: accepts members, validates every frame, runs reads at once on
 * the reader, queues writes and write-transaction starts for group commit, hands requests of
 * interactive transactions to `Transactions`, delivers notifications after commit, names the
 * heir (`Succession`), and steps down when fenced or asked to.
 * The write queue and the group it commits are in write-queue.ts.
 */
import type * as net from 'node:net';
import { StoreError, toStoreError } from '../errors';
import { decodePayload } from '../protocol/framing';
import {
  PROTOCOL_VERSION,
  type HelloFrame,
  type RequestFrame,
  type TransactionMode,
  type WireStatement,
} from '../protocol/messages';
import { decodeRequest } from '../protocol/execute-request';
import { checkHello, type InvalidRequest } from '../protocol/validate';
import { FencedError, type JobOutcome, type LeaderEngine, type WriteJob } from './engine';
import { GroupFill, HOLD_TIMER_MS } from './group-fill';
import { LoadMeter } from './load-meter';
import type { BusyMarker } from '../protocol/busy-marker';
import { Runaways } from '../runaway-list';
import type { StopReport } from '../protocol/worker-messages';
import type { StoreStatus } from '../protocol/status';
import { Session } from './session';
import type { LeaderIdentity } from './leader-identity';
import { SocketBinding } from './socket-binding';
import { Succession } from './succession';
import { statusReport } from './status-report';
import { Transactions, type TransactionRunner } from './transactions';
import { forgettable, WriteQueue, type QueueItem, type QueuedWrite } from './write-queue';

/** How long writes must pause before the leader checkpoints the WAL. */
const IDLE_CHECKPOINT_MS = 250;
/** How often the leader checks, while idle, that the database path still names its file. */
const INODE_CHECK_MS = 500;

/** The socket server around one `LeaderEngine`. */
export class LeaderServer {
  private readonly binding: SocketBinding;
  private readonly sessions = new Set<Session>();
  private readonly queue = new WriteQueue();
  private nextSessionId = 1;
  private pumpScheduled = false;
  private stopping: StopReport | null = null;
  private stopped = false;
  private readonly inodeTimer: NodeJS.Timeout;
  private idleCheckpoint: NodeJS.Timeout | undefined;
  /** Whether the next group commit starts now or waits for members expected back (see `GroupFill`). */
  private readonly fill = new GroupFill();
  /** Ends a hold when an expected member does not come back (their writes end it earlier). */
  private holdTimer: NodeJS.Timeout | undefined;
  private onStopped: (report: StopReport) => void = () => undefined;
  private readonly load = new LoadMeter();
  private readonly succession: Succession;
  private readonly transactions: Transactions;
  /** Requests that ran away under a previous leader: answered with STATEMENT_TIMEOUT if re-sent, never re-run. */
  private readonly runaways: Runaways;

  constructor(
    private readonly engine: LeaderEngine,
    private readonly identity: LeaderIdentity,
    private readonly marker: BusyMarker,
  ) {
    this.succession = new Succession(identity.pid, this.sessions);
    this.transactions = new Transactions(engine, () => this.schedulePump());
    this.runaways = new Runaways(identity.runawayPath);
    this.binding = new SocketBinding(identity.socketPath, identity.pid, (socket) => this.accept(socket));
    this.inodeTimer = setInterval(() => this.checkFiles(), INODE_CHECK_MS);
    this.inodeTimer.unref();
  }

  /** Listens on the socket path (see `SocketBinding`). */
  async listen(onStopped: (report: StopReport) => void): Promise<void> {
    this.onStopped = onStopped;
    await this.binding.listen();
  }

  /**
   * Stops the leader. Graceful: finishes the queued writes and the open transaction, replies,
   * says goodbye. Not graceful (fenced): stops at once; unanswered requests are re-sent by
   * their members to the next leader, which is safe because nothing of them was committed.
   */
  stop(report: StopReport): void {
    if (this.stopping !== null) return;
    this.stopping = report;
    clearInterval(this.inodeTimer);
    this.binding.close();
    if (!report.graceful) {
      this.queue.clear();
      this.finish();
      return;
    }
    this.schedulePump();
  }

  private accept(socket: net.Socket): void {
    if (this.stopping !== null) {
      socket.destroy();
      return;
    }
    const session = new Session(this.nextSessionId++, socket, this.identity.maxFrameBytes);
    this.sessions.add(session);
    socket.on('data', (chunk: Buffer) => this.receive(session, chunk));
    socket.on('error', () => undefined); // 'close' follows and cleans up
    socket.on('close', () => this.disconnect(session));
  }

  private receive(session: Session, chunk: Buffer): void {
    if (session.closed) return;
    let payloads: Buffer[];
    try {
      payloads = session.decoder.push(chunk);
    } catch (error) {
      this.refuse(session, toStoreError(error));
      return;
    }
    // One arrival time for every frame of this read: they did arrive together.
    const receivedAt = payloads.length === 0 ? 0 : performance.now();
    for (const payload of payloads) {
      if (session.closed || this.stopping?.graceful === false) return; // fenced: members re-send to the next leader
      try {
        if (session.hello === null) this.handleHello(session, decodePayload(payload));
        else this.handleRequest(session, decodeRequest(payload), receivedAt);
      } catch (error) {
        if (error instanceof FencedError) {
          this.stop({ reason: error.message, graceful: false });
          return;
        }
        this.refuse(
          session,
          error instanceof StoreError ? error : new StoreError('PROTOCOL_ERROR', (error as Error).message),
        );
        return;
      }
    }
  }

  /** Sends a coded refusal and closes this connection only. */
  private refuse(session: Session, error: StoreError): void {
    session.end({ t: 'refuse', err: error.toWire() });
  }

  private handleHello(session: Session, frame: unknown): void {
    if (this.stopping !== null) return session.end({ t: 'bye', reason: 'this leader is stepping down' });
    const hello = checkHello(frame);
    session.hello = hello;
    // Most members bring no new migration: welcome them at once, without a write
    // transaction, so a reconnecting fleet neither queues behind an open transaction nor
    // costs one fsync per member. Only new migrations go through the write queue.
    if (this.engine.hasMigrations(hello.migrations)) this.welcome(session, hello);
    else this.enqueue({ kind: 'hello', session, hello });
  }

  private handleRequest(session: Session, request: RequestFrame | InvalidRequest, receivedAt: number): void {
    // While handing over, only the open transaction may finish (so a rolling restart does not
    // abort it); every other request is left unanswered and re-sent to the next leader.
    if (this.stopping !== null && !this.transactions.belongsTo(session, request)) return;
    session.requests++;
    session.inFlight++;
    if (request.t === 'req' && request.low !== undefined && request.low > session.low) session.low = request.low;
    if (request.t === 'invalid') {
      this.reply(session, request.id, { err: request.error.toWire() });
      return;
    }
    this.dispatch(session, request, receivedAt);
  }

  private dispatch(session: Session, request: RequestFrame, receivedAt: number): void {
    const { op, id } = request;
    const runaway = request.retry === true ? this.runaways.refusal(session.hello!.clientId, id) : null;
    if (runaway !== null) return this.reply(session, id, { err: runaway.toWire() });
    switch (op.k) {
      case 'execute':
        if (op.txId !== undefined) return this.inTransaction(session, id, op.txId, (tx) => tx.execute(op.stmt));
        if (this.engine.isRead(op.stmt))
          return this.answerRead(session, id, receivedAt, () => this.engine.read(op.stmt));
        return this.enqueueWrite(session, request, receivedAt, { k: 'execute', stmt: op.stmt });
      case 'batch':
        if (op.txId !== undefined) return this.inTransaction(session, id, op.txId, (tx) => tx.batch(op.stmts));
        if (this.runsOnReader(op.mode, op.stmts))
          return this.answerRead(session, id, receivedAt, () => this.engine.readBatch(op.stmts));
        return this.enqueueWrite(session, request, receivedAt, { k: 'batch', stmts: op.stmts });
      case 'script':
        if (op.txId !== undefined) return this.inTransaction(session, id, op.txId, (tx) => tx.script(op.sql));
        return this.enqueueWrite(session, request, receivedAt, { k: 'script', sql: op.sql });
      case 'migrate':
        return this.enqueueWrite(session, request, receivedAt, { k: 'migrate', stmts: op.stmts });
      case 'begin':
        if (session.transaction !== null)
          return this.reply(session, id, {
            err: new StoreError('INVALID_ARGUMENT', 'this member already has an open transaction').toWire(),
          });
        if (op.mode === 'read')
          return this.answer(session, id, () => ({ txId: this.transactions.open(session, 'read', op.timeoutMs) }));
        return this.enqueue({ kind: 'begin', session, requestId: id, timeoutMs: op.timeoutMs });
      case 'commit':
        return this.reply(session, id, this.transactions.end(session, id, op.txId, request.retry === true, 'commit'));
      case 'rollback':
        return this.reply(session, id, this.transactions.end(session, id, op.txId, request.retry === true, 'rollback'));
      case 'notify':
        return this.enqueueWrite(
          session,
          request,
          receivedAt,
          { k: 'notify' },
          { channel: op.channel, payload: op.payload },
        );
      case 'reset':
        return this.enqueueWrite(session, request, receivedAt, { k: 'reset' });
      case 'backup':
        return this.answer(session, id, () => this.engine.backup(op.dest), false);
      case 'status':
        return this.answer(session, id, () => this.status(), false);
      case 'ping':
        return this.reply(session, id, { ok: 'pong' });
      case 'stepdown':
        this.reply(session, id, { ok: { pid: this.identity.pid, epoch: this.engine.epoch } });
        return this.stop({
          reason: `step-down requested by ${session.hello!.name} (pid ${session.hello!.pid})`,
          graceful: true,
        });
    }
  }

  /** Queues a write for the next group commit. */
  private enqueueWrite(
    session: Session,
    request: RequestFrame,
    receivedAt: number,
    work: WriteJob['work'],
    notify?: QueuedWrite['notify'],
  ): void {
    const job: WriteJob = { clientId: session.hello!.clientId, seq: request.id, retry: request.retry === true, work };
    this.enqueue({ kind: 'write', session, requestId: request.id, receivedAt, job, notify });
  }

  private runsOnReader(mode: TransactionMode, statements: WireStatement[]): boolean {
    if (mode === 'read') return true;
    return mode === 'deferred' && statements.every((s) => this.engine.isRead(s));
  }

  /**
   * Runs `work` now and replies with its result or its coded error. `watched`: the work runs a
   * member's statement, so the runaway watch may stop it (a backup or status is not watched).
   */
  private answer(session: Session, id: number, work: () => unknown, watched = true): void {
    if (watched) this.marker.begin(session.hello!.clientId, id);
    let outcome: JobOutcome;
    try {
      outcome = { ok: work() };
    } catch (error) {
      if (error instanceof FencedError) throw error;
      outcome = { err: toStoreError(error).toWire() };
    } finally {
      this.marker.end();
    }
    this.reply(session, id, outcome);
  }

  private answerRead(session: Session, id: number, receivedAt: number, work: () => unknown): void {
    this.answer(session, id, work);
    this.load.read(performance.now() - receivedAt);
  }

  private reply(session: Session, id: number, outcome: JobOutcome): void {
    // The member's only request in flight: no other reply to it can join this one in this turn.
    const alone = session.inFlight === 1;
    session.inFlight--;
    session.respond(id, outcome, alone);
  }

  private enqueue(item: QueueItem): void {
    this.queue.push(item);
    if (item.kind === 'write') this.fill.arrived(item.session.pace, item.receivedAt);
    this.schedulePump();
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      try {
        this.pump();
      } catch (error) {
        if (!(error instanceof FencedError)) throw error;
        this.stop({ reason: error.message, graceful: false });
      }
    });
  }

  /** Runs the head of the write queue: a hello's migrations, a transaction start, or one group commit. */
  private pump(): void {
    if (this.stopped) return;
    while (!this.transactions.writerHeld && this.queue.length > 0) {
      const head = this.queue.head!;
      if (head.kind === 'hello') {
        this.queue.shift();
        this.welcome(head.session, head.hello);
        continue;
      }
      if (head.kind === 'begin') {
        this.queue.shift();
        if (!head.session.closed)
          this.answer(head.session, head.requestId, () => ({
            txId: this.transactions.open(head.session, 'write', head.timeoutMs),
          }));
        continue;
      }
      if (this.stopping === null && this.fill.holding(performance.now())) return this.holdGroup();
      this.commitGroup();
      this.armIdleCheckpoint();
      if (this.queue.length > 0) {
        this.schedulePump(); // let the sockets be read between groups, so the next group grows
        return;
      }
    }
    if (this.stopping !== null && this.queue.length === 0 && !this.transactions.writerHeld) this.finish();
  }

  /** Leaves the queued group waiting: the expected members' writes, or the timer, pump again. */
  private holdGroup(): void {
    if (this.holdTimer !== undefined) return;
    this.holdTimer = setTimeout(() => {
      this.holdTimer = undefined;
      this.schedulePump();
    }, HOLD_TIMER_MS);
    this.holdTimer.unref();
  }

  private commitGroup(): void {
    const group = this.queue.takeGroup();
    const startedAt = performance.now();
    this.fill.starting();
    const outcomes = this.engine.runGroup(
      group.map((item) => item.job),
      forgettable(group),
    );
    const repliedAt = performance.now();
    this.fill.committed(
      group.map((item) => item.session.pace),
      startedAt,
      repliedAt,
    );
    this.load.commitGroup(group, repliedAt);
    for (let index = 0; index < group.length; index++) {
      const item = group[index]!;
      this.reply(item.session, item.requestId, outcomes[index]!);
    }
    group.forEach((item, index) => {
      if (item.notify !== undefined && 'ok' in outcomes[index]!)
        this.broadcast(item.notify.channel, item.notify.payload);
    });
  }

  /**
   * Checkpoints once writes pause for `IDLE_CHECKPOINT_MS` (see `LeaderEngine.checkpoint`). One
   * timer, pushed back by every group commit (`refresh` moves it without making a new one).
   */
  private armIdleCheckpoint(): void {
    if (this.idleCheckpoint !== undefined) {
      this.idleCheckpoint.refresh();
      return;
    }
    this.idleCheckpoint = setTimeout(() => {
      if (!this.stopped && !this.transactions.writerHeld) this.engine.checkpoint();
    }, IDLE_CHECKPOINT_MS);
    this.idleCheckpoint.unref();
  }

  private broadcast(channel: string, payload: unknown): void {
    for (const session of this.sessions) if (session.welcomed) session.send({ t: 'notify', channel, payload });
  }

  private welcome(session: Session, hello: HelloFrame): void {
    if (session.closed) return;
    try {
      const schemaVersion = this.engine.migrate(hello.migrations);
      session.welcomed = true;
      const file = this.engine.inode;
      session.send({
        t: 'welcome',
        v: PROTOCOL_VERSION,
        epoch: this.engine.epoch,
        schemaVersion,
        leaderPid: this.identity.pid,
        leaderName: this.identity.name,
        ...(file === null ? {} : { file }),
      });
      this.succession.welcomed(session);
    } catch (error) {
      if (error instanceof FencedError) throw error;
      this.refuse(session, toStoreError(error));
    }
  }

  private inTransaction(session: Session, id: number, txId: number, work: (tx: TransactionRunner) => unknown): void {
    this.answer(session, id, () => this.transactions.run(session, txId, work));
  }

  private disconnect(session: Session): void {
    session.closed = true;
    this.sessions.delete(session);
    this.transactions.close(session, null);
    this.fill.left(session.pace);
    if (this.stopping === null) this.succession.left(session);
  }

  private checkFiles(): void {
    try {
      this.engine.checkInode();
    } catch (error) {
      if (error instanceof FencedError) this.stop({ reason: error.message, graceful: false });
      return;
    }
    if (this.stopping === null) this.binding.rebindIfDeleted();
  }

  /** What `store.status()` returns. */
  private status(): StoreStatus {
    const { identity, engine, sessions, queue, load } = this;
    return statusReport({
      identity,
      engine,
      sessions,
      heirPid: this.succession.heirPid,
      queueDepth: queue.length,
      load,
    });
  }

  /**
   * Last step of a stop: goodbye to every member, close the engine, report. The report goes
   * out at once (the host then releases the lock): a reply still unflushed when this process
   * exits is not lost, its member re-sends the request and the next leader answers it from the
   * applied-requests table.
   */
  private finish(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.idleCheckpoint);
    clearTimeout(this.holdTimer);
    const report = this.stopping!;
    for (const session of this.sessions) {
      this.transactions.close(session, null);
      session.end({ t: 'bye', reason: report.reason });
    }
    this.binding.unlinkOwnSocket();
    const moved = this.engine.close();
    this.onStopped(
      moved.length === 0
        ? report
        : { ...report, reason: `${report.reason}; its -wal and -shm were moved to ${moved.join(', ')}` },
    );
  }
}
