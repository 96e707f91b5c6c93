/**
 * The closed-loop load generator run inside each worker process: `inflight` lanes, each
 * issuing its next request as soon as its previous one ends, for a warmup and then a
 * measured window.
 *
 * The window is what this process observed: it opens at the first timestamp past the warmup
 * and closes at the first timestamp past its end, and requests completed between the two are
 * counted. A direct worker blocked in SQLite's busy handler cannot look at the clock, so its
 * window may open late; counting against the observed window keeps rate and CPU consistent.
 * Latencies are those of every request that ended after the window opened, those that started
 * in it and ended after it included: dropping them would hide exactly the multi-second stalls
 * of the baseline.
 */
import { nowMs } from './clock';
import { CURVE_SLICE_MS, type RunReport, type RunSpec, type StatusSample } from './messages';
import { counterDelta, errorCode, type LeaderCounters, type Target } from './targets/target';
import { randomRowId } from './workload';
import { SampleBuffer } from './sample-buffer';
import { Timeline } from './timeline';

/** Runs `spec` against `target` and reports what this process measured. */
export async function runLoad(target: Target, spec: RunSpec, seedRows: number): Promise<RunReport> {
  const startedAt = nowMs();
  const closesAt = startedAt + spec.warmupMs + spec.durationMs;
  const timeline = new Timeline(startedAt, { opensAfterMs: spec.warmupMs, lastsMs: spec.durationMs });
  const latencies = new SampleBuffer();
  const errors: Record<string, number> = {};
  let ackedWrites = 0;

  // The leader's counters, sampled around the window (the group size) on timers, without
  // waiting: the lanes keep going. A failed sample only loses the group size.
  const sampled: { atOpen: Promise<LeaderCounters | null> | null; atClose: Promise<LeaderCounters | null> | null } = {
    atOpen: null,
    atClose: null,
  };
  const counters = spec.sampleStatus ? target.counters?.bind(target) : undefined;
  const sampling =
    counters === undefined
      ? []
      : [
          setTimeout(() => {
            sampled.atOpen = counters().catch(() => null);
          }, spec.warmupMs),
          setTimeout(() => {
            sampled.atClose = counters().catch(() => null);
          }, spec.warmupMs + spec.durationMs),
        ];

  const lane = async (): Promise<void> => {
    for (;;) {
      const begin = nowMs();
      timeline.passed(begin);
      if (begin >= closesAt) return;
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
      timeline.completedAt(end);
      latencies.push(end - begin);
    }
  };

  try {
    await Promise.all(Array.from({ length: spec.inflight }, lane));
  } finally {
    for (const timer of sampling) clearTimeout(timer);
  }
  const [before, after] = await Promise.all([sampled.atOpen, sampled.atClose]);
  const status: StatusSample | null = before !== null && after !== null ? counterDelta(before, after) : null;
  const window = timeline.passedWindow();
  return {
    completed: window?.completed ?? 0,
    ackedWrites,
    // Latencies are kept in completion order: those from the window's opening on.
    latencies: latencies.since(window?.completedBefore ?? latencies.count),
    windowMs: window?.ms ?? 0,
    windowStartMs: window?.openedAt ?? 0,
    cpuUs: window?.cpuUs ?? 0,
    // The whole run, warmup and tail included: one escape takes the whole busy timeout, so
    // counting only the window would miss the ones that straddle its bounds.
    busyEscaped: target.busyEscaped,
    errors,
    status,
    curve: timeline.curve(),
  };
}

/**
 * The report of a process that serves but does not generate load in this run (the idle
 * leader-hosting member, the echo server): only its CPU time over the same window counts.
 */
export async function observeIdle(spec: RunSpec): Promise<RunReport> {
  const timeline = new Timeline(nowMs(), { opensAfterMs: spec.warmupMs, lastsMs: spec.durationMs });
  // Marks passed on a timer, until the window's closing: it completes no requests of its own
  // to look at the clock on. (Not one timer for the whole run: a timer may run a few ms before
  // the same span has passed on the clock the marks are measured with.)
  await new Promise<void>((resolve) => {
    const ticker = setInterval(() => {
      timeline.passed(nowMs());
      if (!timeline.closed) return;
      clearInterval(ticker);
      resolve();
    }, CURVE_SLICE_MS / 10);
  });
  const window = timeline.passedWindow();
  return {
    completed: 0,
    ackedWrites: 0,
    latencies: new Float64Array(0),
    windowMs: window?.ms ?? 0,
    windowStartMs: window?.openedAt ?? 0,
    cpuUs: window?.cpuUs ?? 0,
    busyEscaped: 0,
    errors: {},
    status: null,
    curve: timeline.curve(),
  };
}
