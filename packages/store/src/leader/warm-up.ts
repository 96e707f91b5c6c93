/**
 * Warms the engine thread up before it is needed. A fresh V8 isolate runs the request path
 * (frame decoding, validation, routing, the group commit, the exactly-once record, the reply's
 * encoding) in its interpreter for its first seconds of load: a new leader would serve the
 * whole fleet's re-sent writes, right after a failover, at half its speed. So a booted engine
 * thread runs that path on a scratch engine (`LeaderEngine.scratch`: a private in-memory
 * database with Baton's own tables, never the database file) until its time per request has
 * settled, in slices that let a `start` through at once.
 */
import { BusyMarker } from '../protocol/busy-marker';
import { encodeFrame, FrameDecoder } from '../protocol/framing';
import type { WireStatement } from '../protocol/messages';
import { decodeRequest } from '../protocol/execute-request';
import { LeaderEngine, type ForgetBelow, type JobOutcome, type WriteJob } from './engine';
import { GroupFill, newPace } from './group-fill';
import { LoadMeter } from './load-meter';

/** What a warm-up did, reported to the hosting member (and `status()` of a standby's test). */
export interface WarmReport {
  /** Requests run (writes and reads). */
  requests: number;
  /** Wall time from the first slice to the last. */
  ms: number;
  /** True when the time per request settled; false when the warm-up stopped at its cap or was cut short. */
  settled: boolean;
  /** Why the warm-up failed, if it did (the real engine is unaffected: it only starts colder). */
  error: string | null;
}

/** Members writing at once in the warm-up's groups (the fleet the bench and the kanban run). */
const WRITERS = 7;
/** Group commits per slice: a slice takes about a millisecond once warm, so a `start` waits no longer. */
const GROUPS_PER_SLICE = 4;
/** Slices per window over which the time per request is compared. */
const SLICES_PER_WINDOW = 50;
/**
 * Never settled before this many requests: V8 optimizes a function after thousands of calls,
 * and under a real fleet's load the engine's time per request kept falling for some 45,000.
 */
const MIN_REQUESTS = 30_000;
/** Settled when a window is within this factor of the best window so far... */
const SETTLED_FACTOR = 1.1;
/** ...for this many windows in a row. */
const SETTLED_WINDOWS = 3;
/** Caps, so a busy machine (whose windows never agree) stops warming anyway. */
const MAX_REQUESTS = 80_000;
const MAX_MS = 3_000;
/** Rows the scratch table keeps (a write replaces one), so the warm-up's memory stays flat. */
const TABLE_ROWS = 256;
const PAYLOAD = 'x'.repeat(100);

const SCHEMA = 'CREATE TABLE warm (id INTEGER PRIMARY KEY, member TEXT, n INTEGER, payload TEXT)';
const WRITE_SQL = 'INSERT OR REPLACE INTO warm (id, member, n, payload) VALUES (?, ?, ?, ?)';
const READ_SQL = 'SELECT id, member, n, payload FROM warm WHERE id = ?';

/** One warm-up, run slice by slice. */
export class WarmUp {
  private readonly engine: LeaderEngine;
  private readonly decoder: FrameDecoder;
  private readonly fill = new GroupFill();
  private readonly load = new LoadMeter();
  private readonly paces = Array.from({ length: WRITERS }, newPace);
  private readonly clients = Array.from({ length: WRITERS }, (_, i) => `warm-up-${i}`);
  /** When the group's writes arrived, as the server keeps it for the load meter. */
  private readonly arrivals = Array.from({ length: WRITERS }, () => ({ receivedAt: 0 }));
  private seq = 0;
  private requests = 0;
  private readonly startedAt = performance.now();
  private windowStartedAt = this.startedAt;
  private windowRequests = 0;
  private slices = 0;
  private best = Number.POSITIVE_INFINITY;
  private settledWindows = 0;

  /** @param options - the real engine's settings; its database path is never opened */
  constructor(options: { synchronous: 'full' | 'normal'; pid: number; name: string; maxFrameBytes: number }) {
    this.engine = LeaderEngine.scratch({
      databasePath: ':memory:',
      synchronous: options.synchronous,
      pid: options.pid,
      name: options.name,
      electionStartedAt: Date.now(),
      marker: new BusyMarker(BusyMarker.allocate()),
      maxResultBytes: options.maxFrameBytes,
    });
    this.decoder = new FrameDecoder(options.maxFrameBytes);
    this.engine.migrate([{ version: 1, sql: SCHEMA }]);
  }

  /** Runs one slice. @returns true when the warm-up is over (settled or capped) */
  slice(): boolean {
    for (let g = 0; g < GROUPS_PER_SLICE; g++) this.group();
    this.slices++;
    if (this.slices % SLICES_PER_WINDOW === 0) this.endWindow();
    return this.done();
  }

  /** Ends the warm-up and closes the scratch engine. @param error - why it ended early, if it failed */
  finish(error: string | null = null): WarmReport {
    this.engine.close();
    return {
      requests: this.requests,
      ms: Math.round(performance.now() - this.startedAt),
      settled: this.settledWindows >= SETTLED_WINDOWS,
      error,
    };
  }

  private done(): boolean {
    if (this.settledWindows >= SETTLED_WINDOWS) return true;
    return this.requests >= MAX_REQUESTS || performance.now() - this.startedAt >= MAX_MS;
  }

  private endWindow(): void {
    const now = performance.now();
    const perRequest = (now - this.windowStartedAt) / this.windowRequests;
    this.windowStartedAt = now;
    this.windowRequests = 0;
    if (perRequest < this.best) this.best = perRequest;
    const settled = this.requests >= MIN_REQUESTS && perRequest <= this.best * SETTLED_FACTOR;
    this.settledWindows = settled ? this.settledWindows + 1 : 0;
  }

  /** One group commit of a write per writer, then one read, as the server runs them. */
  private group(): void {
    const frames: Buffer[] = [];
    for (let i = 0; i < WRITERS; i++) {
      const id = ++this.seq;
      const args = [BigInt(id % TABLE_ROWS), this.clients[i]!, id, PAYLOAD];
      frames.push(encodeFrame({ t: 'req', id, low: id, op: { k: 'execute', stmt: { sql: WRITE_SQL, args } } }));
    }
    const jobs: WriteJob[] = [];
    const forget: ForgetBelow[] = [];
    for (const payload of this.decoder.push(Buffer.concat(frames))) {
      const { id, stmt } = this.decode(payload);
      if (this.engine.isRead(stmt)) throw new Error('the warm-up write was routed as a read');
      const clientId = this.clients[jobs.length]!;
      const receivedAt = performance.now();
      this.arrivals[jobs.length]!.receivedAt = receivedAt;
      this.fill.arrived(this.paces[jobs.length]!, receivedAt);
      jobs.push({ clientId, seq: id, retry: false, work: { k: 'execute', stmt } });
      forget.push({ clientId, below: id });
    }
    this.fill.starting();
    const startedAt = performance.now();
    const outcomes = this.engine.runGroup(jobs, forget);
    this.fill.committed(this.paces, startedAt, performance.now());
    this.load.commitGroup(this.arrivals, performance.now());
    for (let i = 0; i < jobs.length; i++) this.reply(jobs[i]!.seq, outcomes[i]!);
    const id = ++this.seq;
    const frame = encodeFrame({
      t: 'req',
      id,
      op: { k: 'execute', stmt: { sql: READ_SQL, args: [BigInt(id % TABLE_ROWS)] } },
    });
    const read = this.decode(this.decoder.push(frame)[0]!);
    if (!this.engine.isRead(read.stmt)) throw new Error('the warm-up read was routed as a write');
    this.reply(read.id, { ok: this.engine.read(read.stmt) });
    this.load.read(0.1);
    this.requests += jobs.length + 1;
    this.windowRequests += jobs.length + 1;
  }

  /** A request frame's id and statement, decoded and validated as the server does it. */
  private decode(payload: Buffer): { id: number; stmt: WireStatement } {
    const request = decodeRequest(payload);
    if (request.t !== 'req' || request.op.k !== 'execute') throw new Error('the warm-up sent an invalid request');
    return { id: request.id, stmt: request.op.stmt };
  }

  private reply(id: number, outcome: JobOutcome): void {
    encodeFrame({ t: 'res', id, ...outcome });
  }
}

/** A thrown value's message, for a report. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs a warm-up slice by slice (each after the events already waiting, so a `start` or a
 * request is never kept waiting more than a slice) until it is over or `stop` is called. A
 * warm-up that fails (from its creation on) only ends early, with its error in the report: it
 * must never keep a leader from starting.
 * @param create - makes the warm-up (its scratch engine), in the first slice
 * @param onDone - called once with the report
 * @returns stop: ends the warm-up at once (its report is then `settled: false` unless it had settled)
 */
export function warmUpInBackground(create: () => WarmUp, onDone: (report: WarmReport) => void): { stop(): void } {
  let warmUp: WarmUp | null = null;
  let stopped = false;
  const end = (error: string | null): void => {
    stopped = true;
    let report: WarmReport = { requests: 0, ms: 0, settled: false, error };
    try {
      if (warmUp !== null) report = warmUp.finish(error);
    } catch (closeError) {
      report = { ...report, error: error ?? messageOf(closeError) };
    }
    onDone(report);
  };
  const step = (): void => {
    if (stopped) return;
    try {
      warmUp ??= create();
      if (!warmUp.slice()) {
        setImmediate(step);
        return;
      }
    } catch (error) {
      return end(messageOf(error));
    }
    end(null);
  };
  setImmediate(step);
  return {
    stop(): void {
      if (!stopped) end(null);
    },
  };
}
