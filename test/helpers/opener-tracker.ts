/**
 * Exact opener tracking: every open and close of a database, its -wal and its -shm, by any
 * process, in order (fanotify; see opener-tracker.c next to this file for how nothing is
 * missed). Answers the question of Baton's first guarantee: was there ever an instant at which
 * two processes held the files? Needs root and a C compiler; the program is compiled on first
 * use next to the compiled helper (test/dist/helpers/, ignored by git like every build output).
 *
 * Tests: `const tracker = await OpenerTracker.start(file)` before the first member starts, then
 * `await tracker.stop()` and `expect(tracker.overlaps()).toEqual([])`; call `stopTrackers()`
 * in afterEach. Scripts (chaos) load the compiled file from test/dist/helpers/.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

/** The C source, found from the compiled file (test/dist/helpers/) or the source (test/helpers/). */
const SOURCE = [
  path.join(__dirname, 'opener-tracker.c'),
  path.join(__dirname, '..', '..', 'helpers', 'opener-tracker.c'),
].find((f) => fs.existsSync(f));
const READY_TIMEOUT_MS = 10_000;
const running = new Set<OpenerTracker>();

/** One line of the tracker's output. Times are wall-clock microseconds (Date.now() * 1000 scale). */
export type OpenerEvent =
  /** `write`: the open asked for write access (absent in events written by hand). */
  | { kind: 'OPEN'; atUs: number; pid: number; name: string; write?: boolean }
  | { kind: 'CLOSE'; atUs: number; pid: number; name: string; stillHolds: boolean }
  | { kind: 'OVERLAP'; atUs: number; pid: number; name: string; heldBy: number }
  | { kind: 'OVERFLOW'; atUs: number }
  | { kind: 'SYNC'; atUs: number };

/** A time when two processes held the files: `pid` opened `name` while `heldBy` still held one. */
export interface OverlapWindow {
  pid: number;
  heldBy: number;
  fromUs: number;
  /** When `heldBy` closed its last watched file; null if it never did while tracked. */
  toUs: number | null;
}

/**
 * How long each overlap in `events` (a tracker's events, in order) lasted: from the second open
 * to the first holder's last close. A function of the events alone, so a verdict built on it
 * can be checked with events written by hand.
 */
export function overlapWindowsOf(events: readonly OpenerEvent[]): OverlapWindow[] {
  return events.flatMap((e, index) => {
    if (e.kind !== 'OVERLAP') return [];
    const released = events.slice(index).find((c) => c.kind === 'CLOSE' && c.pid === e.heldBy && !c.stillHolds);
    return [{ pid: e.pid, heldBy: e.heldBy, fromUs: e.atUs, toUs: released?.atUs ?? null }];
  });
}

/**
 * Compiles the tracker once per source version and returns the binary's path. It is built next
 * to the compiled helper (test/dist/helpers/, a build output like the rest of dist/), so the
 * tests leave nothing behind in the system's temp directory.
 */
function binary(): string {
  if (SOURCE === undefined) throw new Error('opener-tracker.c not found next to the compiled helper or its source');
  const source = fs.readFileSync(SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const out = path.join(__dirname, `opener-tracker-${hash}`);
  if (fs.existsSync(out)) return out;
  const building = `${out}.${process.pid}.tmp`;
  execFileSync('cc', ['-O2', '-Wall', '-o', building, SOURCE], { stdio: ['ignore', 'ignore', 'pipe'] });
  fs.renameSync(building, out); // atomic: parallel test workers never run a half-written binary
  return out;
}

function parse(line: string): OpenerEvent | null {
  const [kind, at, pid, name, extra] = line.split(' ');
  const atUs = Number(at);
  switch (kind) {
    case 'OPEN':
      return { kind, atUs, pid: Number(pid), name: name!, write: extra === 'w' };
    case 'CLOSE':
      return { kind, atUs, pid: Number(pid), name: name!, stillHolds: extra === '1' };
    case 'OVERLAP':
      return { kind, atUs, pid: Number(pid), name: name!, heldBy: Number(extra) };
    case 'OVERFLOW':
    case 'SYNC':
      return { kind, atUs };
    default:
      return null;
  }
}

/** A running tracker on one database's files. */
export class OpenerTracker {
  /** Everything seen so far, in the order it happened. */
  readonly events: OpenerEvent[] = [];
  private waiters: { test: (e: OpenerEvent) => boolean; resolve: (e: OpenerEvent) => void }[] = [];
  private readonly exited: Promise<void>;
  private stderr = '';
  /** Set once stop() or kill() ended it on purpose. */
  private ended = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly syncFile: string,
    /** The database file's name (without its directory). */
    private readonly databaseName: string,
  ) {
    running.add(this);
    // 'close', not 'exit': every line of its output has been read by then.
    this.exited = new Promise((resolve) =>
      child.once('close', () => {
        running.delete(this);
        resolve();
      }),
    );
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  /**
   * Starts watching `database`, `-wal` and `-shm` (its directory must exist) and resolves once
   * the kernel reports to it: every open after this is seen.
   * @param check - `openers` (default): an overlap is two processes holding any of the files;
   *   `writers`: an overlap is two processes holding the database file open for writing (the
   *   guarantee of members that read the file themselves, `reads: 'local'`)
   */
  static async start(database: string, check: 'openers' | 'writers' = 'openers'): Promise<OpenerTracker> {
    const name = path.basename(database);
    const sync = `${name}.opener-sync`;
    const files = [path.dirname(database), sync, name, `${name}-wal`, `${name}-shm`];
    const child = spawn(binary(), check === 'writers' ? ['--writers', ...files] : files, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tracker = new OpenerTracker(child, path.join(path.dirname(database), sync), name);
    const lines = createInterface({ input: child.stdout });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the opener tracker did not start: ${tracker.stderr}`)),
        READY_TIMEOUT_MS,
      );
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the opener tracker exited with ${code}: ${tracker.stderr}`));
      });
      lines.on('line', (line) => {
        if (line === 'READY') {
          clearTimeout(timer);
          resolve();
          return;
        }
        const event = parse(line);
        if (event !== null) tracker.record(event);
      });
    });
    return tracker;
  }

  private record(event: OpenerEvent): void {
    this.events.push(event);
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(event)) return true;
      w.resolve(event);
      return false;
    });
  }

  /** Resolves with the first event (seen or future) that passes `test`. */
  waitFor(test: (e: OpenerEvent) => boolean, timeoutMs = 30_000): Promise<OpenerEvent> {
    const seen = this.events.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no matching open or close within ${timeoutMs} ms; last: ${JSON.stringify(this.events.slice(-5))}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({ test, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }

  /** Resolves once `pid` has closed the last of the watched files it held. */
  whenReleasedBy(pid: number, timeoutMs = 30_000): Promise<OpenerEvent> {
    return this.waitFor((e) => e.kind === 'CLOSE' && e.pid === pid && !e.stillHolds, timeoutMs);
  }

  /** Every pid that opened one of the files, in order of first open. */
  openers(): number[] {
    return [...new Set(this.events.flatMap((e) => (e.kind === 'OPEN' ? [e.pid] : [])))];
  }

  /** Every pid that opened the database file itself for writing, in order of first open. */
  writers(): number[] {
    const name = this.databaseName;
    return [
      ...new Set(this.events.flatMap((e) => (e.kind === 'OPEN' && e.write === true && e.name === name ? [e.pid] : []))),
    ];
  }

  /**
   * Every instant two processes held the files, and every lost event (an overflow, after which
   * nothing is proven): empty when "one opener" held throughout. `ignore`: pids whose opens do
   * not count (a test's own reader).
   */
  overlaps(ignore: readonly number[] = []): OpenerEvent[] {
    return this.events.filter(
      (e) => e.kind === 'OVERFLOW' || (e.kind === 'OVERLAP' && !ignore.includes(e.pid) && !ignore.includes(e.heldBy)),
    );
  }

  /** How long each overlap lasted: from the second open to the first holder's last close. */
  overlapWindows(): OverlapWindow[] {
    return overlapWindowsOf(this.events);
  }

  /** Ends the tracker at once, whatever it has not read yet. */
  async kill(): Promise<void> {
    this.ended = true;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /**
   * Resolves once every open and close that happened before this call is recorded: opens a
   * sync file the tracker watches and waits for it to report that open (the kernel queues
   * events in order).
   */
  async sync(): Promise<void> {
    const seen = this.events.filter((e) => e.kind === 'SYNC').length;
    fs.closeSync(fs.openSync(this.syncFile, 'a'));
    await this.waitFor((e) => e.kind === 'SYNC' && this.events.filter((s) => s.kind === 'SYNC').length > seen);
  }

  /**
   * Stops watching after recording everything that happened before the call. Rejects when the
   * tracker had exited on its own before: the opens after its exit were not seen, so an empty
   * `overlaps()` would prove nothing.
   */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      if (this.ended) return;
      throw new Error(
        `the opener tracker exited before it was stopped (${this.child.exitCode ?? this.child.signalCode}), so later opens went unseen: ${this.stderr}`,
      );
    }
    this.ended = true;
    await this.sync();
    this.child.kill('SIGTERM');
    await this.exited;
  }
}

/** Kills every tracker still running (a failed test's). Call in afterEach. */
export async function stopTrackers(): Promise<void> {
  await Promise.all([...running].map((t) => t.kill()));
}
