/**
 * The closed-loop load generator run inside each worker process: `inflight` lanes, each
 * issuing its next request as soon as its previous one ends, for a warmup and then a
 * measured window.
 *
 * The window is what this process observed: it opens when its timer runs after the warmup and
 * closes when its timer runs after its duration, and requests completed between the two are
 * counted. A direct worker blocked in SQLite's busy handler runs no timer, so its window may
 * open late; counting against the observed window keeps rate and CPU consistent. Latencies
 * are those of every request that ended after the window opened, those that started in it and
 * ended after it included: dropping them would hide exactly the multi-second stalls of the
 * baseline.
 */
import { nowMs } from './clock';
import { CURVE_SLICE_MS, type CurveSlice, type RunReport, type RunSpec, type StatusSample } from './messages';
import { counterDelta, errorCode, type LeaderCounters, type Target } from './targets/target';
import { randomRowId } from './workload';
import { SampleBuffer } from './sample-buffer';
import { sleep } from '../shared';

/**
 * The warm-up curve of one process: requests completed and CPU time per `CURVE_SLICE_MS` from
 * `startedAt`, warm-up and window alike, so the report shows when the process settled.
 */
class Curve {
  readonly slices: CurveSlice[] = [];
  private sliceEndsAt: number;
  private completed = 0;
  private cpuAtSliceStart = process.cpuUsage();

  constructor(startedAt: number) {
    this.sliceEndsAt = startedAt + CURVE_SLICE_MS;
  }

  /** One more request completed at `t`. */
  completedAt(t: number): void {
    this.passed(t);
    this.completed++;
  }

  /** Closes every slice that ended before `t`; a slice in which nothing completed is recorded empty. */
  passed(t: number): void {
    while (t >= this.sliceEndsAt) {
      const cpu = process.cpuUsage(this.cpuAtSliceStart);
      this.cpuAtSliceStart = process.cpuUsage();
      this.slices.push({ completed: this.completed, cpuUs: cpu.user + cpu.system });
      this.completed = 0;
      this.sliceEndsAt += CURVE_SLICE_MS;
    }
  }
}

/** Runs `spec` against `target` and reports what this process measured. */
export async function runLoad(target: Target, spec: RunSpec, seedRows: number): Promise<RunReport> {
  const curve = new Curve(nowMs());
  const latencies = new SampleBuffer();
  const errors: Record<string, number> = {};
  /** Requests completed since the start, and at the window's opening and closing. */
  let completedTotal = 0;
  let completedAtOpen = 0;
  let completedAtClose = 0;
  /** Samples before this index ended before the window opened. */
  let firstSampleInWindow = 0;
  let ackedWrites = 0;
  let openedAt: number | null = null;
  let closedAt: number | null = null;
  let cpuAtOpen: NodeJS.CpuUsage | null = null;
  let cpuInWindow: NodeJS.CpuUsage | null = null;
  let countersAtOpen: Promise<LeaderCounters | null> | null = null;
  let countersAtClose: Promise<LeaderCounters | null> | null = null;
  // Sampled without waiting (the lanes keep going); a failed sample only loses the group size.
  const sample = (): Promise<LeaderCounters | null> | null =>
    spec.sampleStatus && target.counters !== undefined ? target.counters().catch(() => null) : null;

  // The window opens and closes on timers, not in the lanes: code the lanes first ran at the
  // window's opening (counting, keeping latencies) made V8 throw their optimized code away
  // there (--trace-deopt: "insufficient type feedback"), in every member of every system,
  // and the first half second of every window dipped while it was optimized again.
  const opening = setTimeout(() => {
    openedAt = nowMs();
    cpuAtOpen = process.cpuUsage();
    completedAtOpen = completedTotal;
    firstSampleInWindow = latencies.count;
    countersAtOpen = sample();
  }, spec.warmupMs);
  const closing = setTimeout(() => {
    closedAt = nowMs();
    cpuInWindow = process.cpuUsage(cpuAtOpen ?? undefined);
    completedAtClose = completedTotal;
    countersAtClose = sample();
  }, spec.warmupMs + spec.durationMs);

  const lane = async (): Promise<void> => {
    while (closedAt === null) {
      const begin = nowMs();
      const isRead = spec.readFraction > 0 && Math.random() < spec.readFraction;
      try {
        if (isRead) await target.read(randomRowId(seedRows));
        else {
          await target.write();
          ackedWrites++;
        }
      } catch (error) {
        const code = errorCode(error);
        errors[code] = (errors[code] ?? 0) + 1;
        continue;
      }
      const end = nowMs();
      curve.completedAt(end);
      completedTotal++;
      latencies.push(end - begin);
    }
  };

  try {
    await Promise.all(Array.from({ length: spec.inflight }, lane));
  } finally {
    clearTimeout(opening);
    clearTimeout(closing);
  }
  const cpu = cpuInWindow as NodeJS.CpuUsage | null;
  const [before, after] = await Promise.all([
    countersAtOpen as Promise<LeaderCounters | null> | null,
    countersAtClose as Promise<LeaderCounters | null> | null,
  ]);
  const status: StatusSample | null = before !== null && after !== null ? counterDelta(before, after) : null;
  return {
    completed: completedAtClose - completedAtOpen,
    ackedWrites,
    latencies: latencies.since(firstSampleInWindow),
    windowMs: openedAt !== null && closedAt !== null ? closedAt - openedAt : 0,
    windowStartMs: openedAt ?? 0,
    cpuUs: cpu === null ? 0 : cpu.user + cpu.system,
    // The whole run, warmup and tail included: one escape takes the whole busy timeout, so
    // counting only the window would miss the ones that straddle its bounds.
    busyEscaped: target.busyEscaped,
    errors,
    status,
    curve: curve.slices,
  };
}

/**
 * The report of a process that serves but does not generate load in this run (the idle
 * leader-hosting member, the echo server): only its CPU time over the same window counts.
 */
export async function observeIdle(spec: RunSpec): Promise<RunReport> {
  const curve = new Curve(nowMs());
  // Its CPU per slice, on a timer: it completes no requests of its own to look at the clock on.
  const ticker = setInterval(() => curve.passed(nowMs()), CURVE_SLICE_MS / 10);
  await sleep(spec.warmupMs);
  const openedAt = nowMs();
  const cpuAtOpen = process.cpuUsage();
  await sleep(spec.durationMs);
  clearInterval(ticker);
  curve.passed(nowMs());
  const cpu = process.cpuUsage(cpuAtOpen);
  return {
    completed: 0,
    ackedWrites: 0,
    latencies: new Float64Array(0),
    windowMs: nowMs() - openedAt,
    windowStartMs: openedAt,
    cpuUs: cpu.user + cpu.system,
    busyEscaped: 0,
    errors: {},
    status: null,
    curve: curve.slices,
  };
}
