/**
 * The closed-loop load generator run inside each worker process: `inflight` lanes, each
 * issuing its next request as soon as its previous one ends, for a warmup and then a
 * measured window.
 *
 * The window is what this process observed: it opens at the first timestamp past the warmup
 * and closes at the first timestamp past its end, and requests completed between the two are
 * counted. A direct worker blocked in SQLite's busy handler cannot look at the clock, so its
 * window may open late; counting against the observed window keeps rate and CPU consistent.
 * Latencies include requests that started in the window and ended after it: dropping them
 * would hide exactly the multi-second stalls of the baseline.
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
  const startAt = nowMs() + spec.warmupMs;
  const endAt = startAt + spec.durationMs;
  const latencies = new SampleBuffer();
  const errors: Record<string, number> = {};
  let completed = 0;
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

  /** Opens and closes the window on the first timestamps past its bounds. */
  const observe = (t: number): void => {
    if (openedAt === null && t >= startAt) {
      openedAt = t;
      cpuAtOpen = process.cpuUsage();
      countersAtOpen = sample();
    }
    if (openedAt !== null && closedAt === null && t >= endAt) {
      closedAt = t;
      cpuInWindow = process.cpuUsage(cpuAtOpen ?? undefined);
      countersAtClose = sample();
    }
  };

  const lane = async (): Promise<void> => {
    for (;;) {
      const begin = nowMs();
      observe(begin);
      if (begin >= endAt) return;
      const startedInWindow = openedAt !== null;
      const isRead = spec.readFraction > 0 && Math.random() < spec.readFraction;
      let ok = true;
      try {
        if (isRead) await target.read(randomRowId(seedRows));
        else {
          await target.write();
          ackedWrites++;
        }
      } catch (error) {
        ok = false;
        const code = errorCode(error);
        errors[code] = (errors[code] ?? 0) + 1;
      }
      const end = nowMs();
      const wasOpen = openedAt !== null && end > openedAt;
      observe(end);
      const inWindow = wasOpen && (closedAt === null || end <= closedAt);
      if (!ok) continue;
      if (end < endAt) curve.completedAt(end);
      if (inWindow) completed++;
      if (inWindow || startedInWindow) latencies.push(end - begin);
    }
  };

  await Promise.all(Array.from({ length: spec.inflight }, lane));
  const cpu = cpuInWindow as NodeJS.CpuUsage | null;
  const [before, after] = await Promise.all([
    countersAtOpen as Promise<LeaderCounters | null> | null,
    countersAtClose as Promise<LeaderCounters | null> | null,
  ]);
  const status: StatusSample | null = before !== null && after !== null ? counterDelta(before, after) : null;
  return {
    completed,
    ackedWrites,
    latencies: latencies.take(),
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
