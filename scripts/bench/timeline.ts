/**
 * The timeline of one load-generating process: the marks it passes (the warm-up curve's
 * slices, the measured window's opening and closing) and what it had done at each.
 */
import { CURVE_SLICE_MS, type CurveSlice } from './messages';

/** What a process had done when it passed one mark of its timeline. */
interface Snapshot {
  /** When it passed the mark (the first timestamp it looked at past it). */
  at: number;
  /** Its CPU time so far, all threads, in microseconds. */
  cpuUs: number;
  /** Requests completed so far. */
  completed: number;
}

/** The window as a process passed it. */
export interface PassedWindow {
  /** When the process passed its opening (ms, the shared monotonic clock). */
  openedAt: number;
  /** From passing its opening to passing its closing. */
  ms: number;
  /** CPU time of the process over it, all threads, in microseconds. */
  cpuUs: number;
  /** Requests completed in it. */
  completed: number;
  /** Requests completed before it opened. */
  completedBefore: number;
}

/**
 * The marks a process passes while it generates load, in ms from its start: one every
 * `CURVE_SLICE_MS` (the warm-up curve) and the window's opening and closing. Each is passed by
 * the same code at the first timestamp past it, which notes the time, the CPU time and the
 * requests completed.
 *
 * One code path for every mark is the point: code the lanes first ran when the window opened
 * made V8 throw their optimized code away there (--trace-deopt: "insufficient type feedback",
 * in every member of every system), and the first half second of every window dipped while it
 * was optimized again. A slice mark passes every 500 ms of the warmup, so by the window's
 * opening that code is long optimized.
 */
export class Timeline {
  /** Mark offsets (ms from the start), ascending. */
  private readonly marks: number[];
  private next = 0;
  private readonly snapshots = new Map<number, Snapshot>();
  /** Requests completed so far. */
  private completed = 0;
  /** The window's marks, in ms from the start. */
  private readonly opensAfterMs: number;
  private readonly closesAfterMs: number;

  constructor(
    private readonly startedAt: number,
    window: { opensAfterMs: number; lastsMs: number },
  ) {
    this.opensAfterMs = window.opensAfterMs;
    this.closesAfterMs = window.opensAfterMs + window.lastsMs;
    const marks = new Set([this.opensAfterMs, this.closesAfterMs]);
    for (let offset = CURVE_SLICE_MS; offset < this.closesAfterMs + CURVE_SLICE_MS; offset += CURVE_SLICE_MS)
      marks.add(offset);
    this.marks = [...marks].sort((a, b) => a - b);
    this.snapshots.set(0, { at: startedAt, cpuUs: cpuTimeUs(), completed: 0 });
  }

  /** One more request completed at `t`. */
  completedAt(t: number): void {
    this.passed(t);
    this.completed++;
  }

  /** Passes every mark at or before `t`. */
  passed(t: number): void {
    const offset = t - this.startedAt;
    while (this.next < this.marks.length && offset >= this.marks[this.next]!) {
      this.snapshots.set(this.marks[this.next++]!, { at: t, cpuUs: cpuTimeUs(), completed: this.completed });
    }
  }

  /** True once the window's closing was passed. */
  get closed(): boolean {
    return this.snapshots.has(this.closesAfterMs);
  }

  /** The window, or null when it was not passed. */
  passedWindow(): PassedWindow | null {
    const opened = this.snapshots.get(this.opensAfterMs);
    const closed = this.snapshots.get(this.closesAfterMs);
    if (opened === undefined || closed === undefined) return null;
    return {
      openedAt: opened.at,
      ms: closed.at - opened.at,
      cpuUs: closed.cpuUs - opened.cpuUs,
      completed: closed.completed - opened.completed,
      completedBefore: opened.completed,
    };
  }

  /** The warm-up curve: completions and CPU time per slice, for every slice passed. */
  curve(): CurveSlice[] {
    const slices: CurveSlice[] = [];
    for (let from = 0; ; from += CURVE_SLICE_MS) {
      const first = this.snapshots.get(from);
      const last = this.snapshots.get(from + CURVE_SLICE_MS);
      if (first === undefined || last === undefined) return slices;
      slices.push({ completed: last.completed - first.completed, cpuUs: last.cpuUs - first.cpuUs });
    }
  }
}

/** This process's CPU time so far, all threads, in microseconds. */
function cpuTimeUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
