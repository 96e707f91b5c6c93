/**
 * The results document (`--json`, described in docs/benchmarks.md), with extra fields that make
 * the numbers checkable (per-round figures, CPU per request, group sizes, verification), and the
 * check of each performance target against what was measured.
 *
 * Every figure in `results` is the median over rounds; `ratios` are medians of per-round
 * ratios (each round pairs the systems measured back to back). Runs marked noisy (a busy
 * machine at their start, machine-load.ts) are left out of both while a quiet round exists;
 * a figure made only of noisy runs says so (`noisy: true`) and meets no target.
 */
import type { Machine } from './machine';
import type { SyncMode, SystemKind } from './messages';
import type { Plan } from './plan';
import { PIPELINE_DEPTH, FLEET, SLOW_FLUSH_MS } from './plan';
import { errorCount, type CurvePoint, type SystemRun } from './scenarios/measurement';
import type { FailoverRun } from './scenarios/failover';
import type { FirstWriteRun } from './scenarios/first-write';
import { CURVE_SLICE_MS } from './messages';
import type { RunLoad } from './machine-load';
import type { MemoryRound } from './scenarios/memory';
import { READ_SYNC } from './scenarios/read-latency';
import type { ThroughputCase } from './scenarios/throughput';
import { percentile } from '../shared';
import { median, round } from './stats';
import { formatSigned } from './table';

/** Everything one invocation measured. */
export interface Measurements {
  throughput: { c: ThroughputCase; runs: SystemRun[] }[];
  read: SystemRun[];
  failover: FailoverRun | null;
  firstWrite: FirstWriteRun | null;
  memory: MemoryRound[];
  /** Runs that failed, with why. */
  failures: string[];
  /** The flush levels of the throughput cases, with the flush time measured at each. */
  flush: FlushLevel[];
}

/** One flush level: the shim's extra time and the median fsync measured with it. */
export interface FlushLevel {
  flushMs: number;
  measuredMs: number;
}

/** One system in one configuration: medians over rounds. */
export interface ResultEntry {
  scenario: string;
  system: SystemKind;
  sync: SyncMode;
  members: number;
  inflight: number;
  /** Extra ms per flush (0: the machine's own). */
  flushMs: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  busyEscaped: number;
  /** Extra: the worst max latency of any round (the targets use this one). */
  worstMaxMs: number;
  /** Extra: escaped BUSY errors summed over all rounds. */
  busyEscapedTotal: number;
  readFraction: number;
  cpuUsPerOp: number;
  avgGroupSize: number | null;
  errors: number;
  /** Every round's acknowledged writes were found in the database afterwards. */
  verified: boolean | null;
  /** Every round behind these figures was noisy (there was no quiet one): not a result. */
  noisy: boolean;
  /** Rounds left out for being noisy. */
  noisyRounds: number;
  /**
   * The CPU per request of the warmup's last slice was within 15% of the window's in every
   * round behind the figures (null without a curve): false means the warmup was too short.
   */
  settled: boolean | null;
  /** The warm-up curve, slice by slice from the first request: medians over the same rounds. */
  curve: CurvePoint[];
  roundsMeasured: number;
  rounds: {
    round: number;
    opsPerSec: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    busyEscaped: number;
    cpuUsPerOp: number;
    avgGroupSize: number | null;
    /** 1-minute load average before and after, cores busy at the start, noisy. */
    loadBefore: number | null;
    loadAfter: number | null;
    busyCoresBefore: number | null;
    noisy: boolean;
  }[];
}

/** Baton/direct for one configuration. */
export interface RatioEntry {
  scenario: string;
  sync: SyncMode;
  members: number;
  inflight: number;
  flushMs: number;
  /** Which Baton members: `leader` (the default, reads forwarded) or `local` (`reads: 'local'`). */
  reads: 'leader' | 'local';
  /** Median over rounds of baton opsPerSec / direct opsPerSec. */
  throughputRatio: number;
  roundRatios: number[];
  /**
   * Median over rounds of baton opsPerSec / minimal design opsPerSec (null when the minimal
   * design was not run); for `reads: 'local'`, the minimal design reading locally too.
   */
  minimalRatio: number | null;
  minimalRoundRatios: number[];
  /** `reads: 'local'` only: median over rounds of the minimal design reading locally / direct, the simplest design's share. */
  minimalVsDirect?: number;
  /** Only noisy rounds were paired: not a result. */
  noisy: boolean;
  /** Extra, read-latency only: median over rounds of baton p50 / raw socket p50. */
  p50VsSocket?: number;
  /** Extra, read-latency only: median over rounds of baton p50 / direct p50. */
  p50VsDirect?: number;
}

/** One performance target and whether this run met it. */
export interface TargetCheck {
  target: string;
  requirement: string;
  measured: string;
  /** null when the scenario was not run. */
  met: boolean | null;
}

/** The `--json` document. */
export interface BenchDocument {
  date: string;
  machine: Machine;
  command: string;
  flush: FlushLevel[];
  settings: {
    quick: boolean;
    rounds: number;
    warmupMs: number;
    durationMs: number;
    pipelineDepth: number;
    busyTimeoutMs: number;
  };
  results: ResultEntry[];
  ratios: RatioEntry[];
  failover: {
    kills: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    members: number;
    sync: SyncMode;
    timeouts: number;
    errors: number;
    memberP50Ms: number;
    memberP99Ms: number;
    noticeToWelcomeP50Ms: number;
    /** Kill to the successor reporting role `leader` (election, engine start, first commit), p50. */
    newLeaderP50Ms: number;
    /** Kill to the killed process's exit (the kernel's teardown, the floor of every failover), p50 and p99. */
    teardownP50Ms: number;
    teardownP99Ms: number;
    /** The survivors' writes in the first second after a kill over the second before it: median and worst kill. */
    firstSecondRatio: number;
    firstSecondWorst: number;
    firstSecondRatios: number[];
    killMs: number[];
    load: RunLoad | null;
  } | null;
  firstWrite: {
    processes: number;
    sync: SyncMode;
    /** openStore to close() resolved, after one acknowledged write. */
    p50Ms: number;
    p99Ms: number;
    /** Loading @baton/store in the fresh process, before openStore (not in p50Ms). */
    loadP50Ms: number;
    openP50Ms: number;
    writeP50Ms: number;
    closeP50Ms: number;
    totalMs: number[];
    load: RunLoad | null;
  } | null;
  memory: {
    /** A candidate follower other than the heir. */
    followerRssMb: number;
    /** Extra: the heir, which keeps a standby engine thread. */
    heirRssMb: number;
    leaderRssMb: number;
    baselineRssMb: number;
    baseline: string;
    bareRssMb: number;
    /** Extra: a follower opened with `candidate: false`. */
    nonCandidateRssMb: number;
    /** A candidate follower with `reads: 'local'` (its own read-only connection). */
    localFollowerRssMb: number;
    followerOverBaselineMb: number;
    localFollowerOverBaselineMb: number;
    heirOverBaselineMb: number;
    leaderOverBaselineMb: number;
    rounds: MemoryRound[];
  } | null;
  targets: TargetCheck[];
  failures: string[];
}

/** Medians over the rounds of one system in one configuration. */
function resultEntry(
  scenario: string,
  sync: SyncMode,
  members: number,
  inflight: number,
  flushMs: number,
  readFraction: number,
  measured: SystemRun[],
  warmupMs: number,
): ResultEntry {
  const runs = resultRuns(measured);
  const med = (pick: (run: SystemRun) => number): number => round(median(runs.map(pick)), 3);
  const warmupSlices = Math.floor(warmupMs / CURVE_SLICE_MS);
  const settledFlags = runs.flatMap((run) => {
    const lastWarm = run.curve[warmupSlices - 1];
    return lastWarm === undefined || !Number.isFinite(lastWarm.cpuUsPerOp)
      ? []
      : [lastWarm.cpuUsPerOp <= run.cpuUsPerOp * SETTLED_FACTOR];
  });
  const groups = runs.map((run) => run.avgGroupSize).filter((size): size is number => size !== null);
  const verifications = runs.map((run) => run.verified).filter((v): v is boolean => v !== null);
  return {
    scenario,
    system: runs[0]!.system,
    sync,
    members,
    inflight,
    flushMs,
    opsPerSec: round(median(runs.map((run) => run.opsPerSec)), 1),
    p50Ms: med((run) => run.p50Ms),
    p99Ms: med((run) => run.p99Ms),
    maxMs: med((run) => run.maxMs),
    busyEscaped: med((run) => run.busyEscaped),
    worstMaxMs: round(Math.max(...runs.map((run) => run.maxMs)), 3),
    busyEscapedTotal: runs.reduce((sum, run) => sum + run.busyEscaped, 0),
    readFraction,
    cpuUsPerOp: round(median(runs.map((run) => run.cpuUsPerOp)), 1),
    avgGroupSize: groups.length === 0 ? null : round(median(groups), 2),
    errors: runs.reduce((sum, run) => sum + errorCount(run), 0),
    verified: verifications.length === 0 ? null : verifications.every(Boolean),
    noisy: runs.every((run) => run.load?.noisy === true),
    noisyRounds: measured.filter((run) => run.load?.noisy === true).length,
    settled: settledFlags.length === 0 ? null : settledFlags.every(Boolean),
    curve: medianCurve(runs),
    roundsMeasured: runs.length,
    rounds: measured.map((run) => ({
      round: run.round,
      opsPerSec: round(run.opsPerSec, 1),
      p50Ms: round(run.p50Ms, 3),
      p99Ms: round(run.p99Ms, 3),
      maxMs: round(run.maxMs, 3),
      busyEscaped: run.busyEscaped,
      cpuUsPerOp: round(run.cpuUsPerOp, 1),
      avgGroupSize: run.avgGroupSize === null ? null : round(run.avgGroupSize, 2),
      loadBefore: run.load?.loadBefore ?? null,
      loadAfter: run.load?.loadAfter ?? null,
      busyCoresBefore: run.load?.busyCoresBefore ?? null,
      noisy: run.load?.noisy === true,
    })),
  };
}

/** The warmup's last slice may cost this much more CPU per request than the window: settled. */
const SETTLED_FACTOR = 1.15;

/** The runs a figure is made of: the quiet ones, or all of them when every one was noisy. */
function resultRuns(runs: SystemRun[]): SystemRun[] {
  const quiet = runs.filter((run) => run.load?.noisy !== true);
  return quiet.length > 0 ? quiet : runs;
}

/** The median of the runs' curves, slice by slice, over the slices all of them have. */
function medianCurve(runs: SystemRun[]): CurvePoint[] {
  if (runs.length === 0) return [];
  const slices = Math.min(...runs.map((run) => run.curve.length));
  return Array.from({ length: slices }, (_, i) => ({
    opsPerSec: round(median(runs.map((run) => run.curve[i]!.opsPerSec)), 1),
    cpuUsPerOp: round(median(runs.map((run) => run.curve[i]!.cpuUsPerOp).filter(Number.isFinite)), 1),
  }));
}

/**
 * Per-round ratios of `pick(a) / pick(b)`, pairing runs of the same round; a round in which
 * either run was noisy is left out while a quiet pair exists.
 */
function roundRatios(
  a: SystemRun[],
  b: SystemRun[],
  pick: (run: SystemRun) => number,
): { ratios: number[]; noisy: boolean } {
  const pairs = a.flatMap((runA) => {
    const runB = b.find((run) => run.round === runA.round);
    return runB === undefined
      ? []
      : [{ ratio: round(pick(runA) / pick(runB), 3), noisy: runA.load?.noisy === true || runB.load?.noisy === true }];
  });
  const quiet = pairs.filter((pair) => !pair.noisy);
  const chosen = quiet.length > 0 ? quiet : pairs;
  return { ratios: chosen.map((pair) => pair.ratio), noisy: pairs.length > 0 && quiet.length === 0 };
}

/** Builds the document from the measurements. */
export function buildDocument(
  plan: Plan,
  machine: Machine,
  date: Date,
  command: string,
  busyTimeoutMs: number,
  m: Measurements,
): BenchDocument {
  const results: ResultEntry[] = [];
  const ratios: RatioEntry[] = [];
  const warmupMs = plan.timing.warmupMs;
  for (const { c, runs } of m.throughput) {
    const direct = runs.filter((run) => run.system === 'direct');
    for (const system of ['baton', 'baton-local', 'minimal', 'minimal-local', 'direct'] as const) {
      const side = runs.filter((run) => run.system === system);
      if (side.length > 0)
        results.push(resultEntry(c.scenario, c.sync, c.members, c.inflight, c.flushMs, c.readFraction, side, warmupMs));
    }
    for (const reads of ['leader', 'local'] as const) {
      const baton = runs.filter((run) => run.system === (reads === 'local' ? 'baton-local' : 'baton'));
      const minimal = runs.filter((run) => run.system === (reads === 'local' ? 'minimal-local' : 'minimal'));
      const vsDirect = roundRatios(baton, direct, (run) => run.opsPerSec);
      const vsMinimal = roundRatios(baton, minimal, (run) => run.opsPerSec);
      const minimalVsDirect = roundRatios(minimal, direct, (run) => run.opsPerSec);
      if (vsDirect.ratios.length > 0 || vsMinimal.ratios.length > 0)
        ratios.push({
          scenario: c.scenario,
          sync: c.sync,
          members: c.members,
          inflight: c.inflight,
          flushMs: c.flushMs,
          reads,
          throughputRatio: vsDirect.ratios.length === 0 ? Number.NaN : round(median(vsDirect.ratios), 3),
          roundRatios: vsDirect.ratios,
          minimalRatio: vsMinimal.ratios.length === 0 ? null : round(median(vsMinimal.ratios), 3),
          minimalRoundRatios: vsMinimal.ratios,
          ...(reads === 'local' && minimalVsDirect.ratios.length > 0
            ? { minimalVsDirect: round(median(minimalVsDirect.ratios), 3) }
            : {}),
          noisy: vsDirect.noisy || vsMinimal.noisy,
        });
    }
  }
  if (m.read.length > 0) {
    const bySystem = (system: SystemKind): SystemRun[] => m.read.filter((run) => run.system === system);
    for (const system of ['baton', 'baton-local', 'socket', 'direct'] as const) {
      const runs = bySystem(system);
      if (runs.length > 0)
        results.push(resultEntry('read-latency', READ_SYNC, system === 'direct' ? 1 : 2, 1, 0, 1, runs, warmupMs));
    }
    for (const reads of ['leader', 'local'] as const) {
      const baton = bySystem(reads === 'local' ? 'baton-local' : 'baton');
      const perRound = roundRatios(baton, bySystem('direct'), (run) => run.opsPerSec);
      if (perRound.ratios.length === 0) continue;
      const vsSocket = roundRatios(baton, bySystem('socket'), (run) => run.p50Ms);
      const vsDirect = roundRatios(baton, bySystem('direct'), (run) => run.p50Ms);
      ratios.push({
        scenario: 'read-latency',
        sync: READ_SYNC,
        members: 2,
        inflight: 1,
        flushMs: 0,
        reads,
        throughputRatio: round(median(perRound.ratios), 3),
        roundRatios: perRound.ratios,
        minimalRatio: null,
        minimalRoundRatios: [],
        noisy: perRound.noisy || vsSocket.noisy || vsDirect.noisy,
        p50VsSocket: vsSocket.ratios.length === 0 ? undefined : round(median(vsSocket.ratios), 3),
        p50VsDirect: vsDirect.ratios.length === 0 ? undefined : round(median(vsDirect.ratios), 3),
      });
    }
  }
  const failover = m.failover === null || m.failover.killMs.length === 0 ? null : failoverSummary(m.failover);
  const memory = m.memory.length === 0 ? null : memorySummary(m.memory);
  const firstWrite =
    m.firstWrite === null || m.firstWrite.totalMs.length === 0 ? null : firstWriteSummary(m.firstWrite);
  return {
    date: date.toISOString(),
    machine,
    command,
    flush: m.flush,
    settings: {
      quick: plan.quick,
      rounds: plan.rounds,
      warmupMs: plan.timing.warmupMs,
      durationMs: plan.timing.durationMs,
      pipelineDepth: PIPELINE_DEPTH,
      busyTimeoutMs,
    },
    results,
    ratios,
    failover,
    firstWrite,
    memory,
    targets: checkTargets(results, ratios, failover, firstWrite, memory),
    failures: m.failures,
  };
}

function failoverSummary(run: FailoverRun): NonNullable<BenchDocument['failover']> {
  const firstSeconds = run.firstSecondRatios.filter(Number.isFinite);
  return {
    kills: run.killMs.length,
    p50Ms: round(percentile(run.killMs, 0.5), 2),
    p99Ms: round(percentile(run.killMs, 0.99), 2),
    maxMs: round(Math.max(...run.killMs), 2),
    members: run.members,
    sync: run.sync,
    timeouts: run.timeouts,
    errors: Object.values(run.errors).reduce((sum, n) => sum + n, 0),
    memberP50Ms: round(percentile(run.memberMs, 0.5), 2),
    memberP99Ms: round(percentile(run.memberMs, 0.99), 2),
    noticeToWelcomeP50Ms:
      run.noticeToWelcomeMs.length === 0 ? Number.NaN : round(percentile(run.noticeToWelcomeMs, 0.5), 2),
    newLeaderP50Ms: run.newLeaderMs.length === 0 ? Number.NaN : round(percentile(run.newLeaderMs, 0.5), 2),
    teardownP50Ms: run.teardownMs.length === 0 ? Number.NaN : round(percentile(run.teardownMs, 0.5), 2),
    teardownP99Ms: run.teardownMs.length === 0 ? Number.NaN : round(percentile(run.teardownMs, 0.99), 2),
    firstSecondRatio: firstSeconds.length === 0 ? Number.NaN : round(median(firstSeconds), 3),
    firstSecondWorst: firstSeconds.length === 0 ? Number.NaN : round(Math.min(...firstSeconds), 3),
    firstSecondRatios: firstSeconds.map((ratio) => round(ratio, 3)),
    killMs: run.killMs.map((ms) => round(ms, 2)),
    load: run.load,
  };
}

function firstWriteSummary(run: FirstWriteRun): NonNullable<BenchDocument['firstWrite']> {
  return {
    processes: run.totalMs.length,
    sync: run.sync,
    p50Ms: round(percentile(run.totalMs, 0.5), 2),
    p99Ms: round(percentile(run.totalMs, 0.99), 2),
    loadP50Ms: round(percentile(run.loadMs, 0.5), 2),
    openP50Ms: round(percentile(run.openMs, 0.5), 2),
    writeP50Ms: round(percentile(run.writeMs, 0.5), 2),
    closeP50Ms: round(percentile(run.closeMs, 0.5), 2),
    totalMs: run.totalMs.map((ms) => round(ms, 2)),
    load: run.load,
  };
}

function memorySummary(rounds: MemoryRound[]): NonNullable<BenchDocument['memory']> {
  const med = (pick: (r: MemoryRound) => number): number => round(median(rounds.map(pick)), 1);
  const baseline = med((r) => r.directRssMb);
  return {
    followerRssMb: med((r) => r.followerRssMb),
    heirRssMb: med((r) => r.heirRssMb),
    leaderRssMb: med((r) => r.leaderRssMb),
    baselineRssMb: baseline,
    baseline:
      'the same worker program doing the same writes and reads with better-sqlite3 directly on its own database',
    bareRssMb: med((r) => r.bareRssMb),
    nonCandidateRssMb: med((r) => r.nonCandidateRssMb),
    localFollowerRssMb: med((r) => r.localFollowerRssMb),
    followerOverBaselineMb: med((r) => r.followerRssMb - r.directRssMb),
    localFollowerOverBaselineMb: med((r) => r.localFollowerRssMb - r.directRssMb),
    heirOverBaselineMb: med((r) => r.heirRssMb - r.directRssMb),
    leaderOverBaselineMb: med((r) => r.leaderRssMb - r.directRssMb),
    rounds: rounds.map((r) => ({
      round: r.round,
      followerRssMb: round(r.followerRssMb, 1),
      heirRssMb: round(r.heirRssMb, 1),
      nonCandidateRssMb: round(r.nonCandidateRssMb, 1),
      localFollowerRssMb: round(r.localFollowerRssMb, 1),
      leaderRssMb: round(r.leaderRssMb, 1),
      directRssMb: round(r.directRssMb, 1),
      bareRssMb: round(r.bareRssMb, 1),
    })),
  };
}

/** The performance targets (throughput ratios, read latency, failover time, memory), checked against this run. */
function checkTargets(
  results: ResultEntry[],
  ratios: RatioEntry[],
  failover: BenchDocument['failover'],
  firstWrite: BenchDocument['firstWrite'],
  memory: BenchDocument['memory'],
): TargetCheck[] {
  const ratioOf = (
    scenario: string,
    sync: SyncMode,
    members: number,
    inflight: number,
    flushMs: number,
    reads: 'leader' | 'local' = 'leader',
  ): RatioEntry | undefined =>
    ratios.find(
      (r) =>
        r.reads === reads &&
        r.scenario === scenario &&
        r.sync === sync &&
        r.members === members &&
        r.inflight === inflight &&
        r.flushMs === flushMs,
    );
  const x = (v: number): string => `${v.toFixed(2)}x`;
  const checks: TargetCheck[] = [];
  // Baton's throughput at least `minimum` times the minimal design's or direct access's, on one row.
  const ratioTargets: {
    target: string;
    against: 'minimal' | 'direct';
    minimum: number;
    row: [scenario: string, sync: SyncMode, members: number, inflight: number, flushMs: number];
  }[] = [
    {
      target: '7 writers, FULL, one in flight, steady state',
      against: 'minimal',
      minimum: 0.95,
      row: ['writes', 'full', FLEET, 1, 0],
    },
    {
      target: '7 writers, NORMAL, one in flight, steady state',
      against: 'minimal',
      minimum: 0.9,
      row: ['writes', 'normal', FLEET, 1, 0],
    },
    {
      target: `7 writers, NORMAL, pipelined (${PIPELINE_DEPTH} in flight), steady state`,
      against: 'minimal',
      minimum: 0.9,
      row: ['pipelined', 'normal', FLEET, PIPELINE_DEPTH, 0],
    },
    {
      target: '7 writers, FULL, one in flight, flush 0',
      against: 'direct',
      minimum: 1.2,
      row: ['writes', 'full', FLEET, 1, 0],
    },
    {
      target: `7 writers, FULL, one in flight, flush ${SLOW_FLUSH_MS} ms`,
      against: 'direct',
      minimum: 4,
      row: ['writes', 'full', FLEET, 1, SLOW_FLUSH_MS],
    },
    {
      target: '7 writers, NORMAL, one in flight, flush 0',
      against: 'direct',
      minimum: 0.4,
      row: ['writes', 'normal', FLEET, 1, 0],
    },
    {
      target: `1 writer, FULL, one in flight, flush ${SLOW_FLUSH_MS} ms`,
      against: 'direct',
      minimum: 0.9,
      row: ['writes', 'full', 1, 1, SLOW_FLUSH_MS],
    },
    {
      target: `7 writers, NORMAL, pipelined (${PIPELINE_DEPTH} in flight), flush 0`,
      against: 'direct',
      minimum: 2,
      row: ['pipelined', 'normal', FLEET, PIPELINE_DEPTH, 0],
    },
  ];
  for (const { target, against, minimum, row } of ratioTargets) {
    const ratio = ratioOf(...row);
    const raw = ratio === undefined ? null : against === 'direct' ? ratio.throughputRatio : ratio.minimalRatio;
    const value = raw !== null && Number.isFinite(raw) ? raw : null;
    const noisy = ratio?.noisy === true;
    checks.push({
      target,
      requirement: `>= ${minimum}x ${against === 'direct' ? 'direct' : 'the minimal design'}`,
      measured: value === null ? 'not run' : `${x(value)}${noisy ? ' (noisy)' : ''}`,
      met: value === null || noisy ? null : value >= minimum,
    });
  }
  const cpu = results.find(
    (r) =>
      r.scenario === 'writes' &&
      r.system === 'baton' &&
      r.sync === 'normal' &&
      r.members === FLEET &&
      r.inflight === 1 &&
      r.flushMs === 0,
  );
  checks.push({
    target: 'CPU per forwarded request, 7 writers, NORMAL, one in flight',
    requirement: '<= 65 us (all processes)',
    measured: cpu === undefined ? 'not run' : `${cpu.cpuUsPerOp.toFixed(0)} us${cpu.noisy ? ' (noisy)' : ''}`,
    met: cpu === undefined || cpu.noisy ? null : cpu.cpuUsPerOp <= 65,
  });
  checks.push({
    target: 'failover after SIGKILL',
    requirement: 'p50 <= 30 ms, p99 <= 45 ms',
    measured:
      failover === null
        ? 'not run'
        : `p50 ${failover.p50Ms.toFixed(1)} ms, p99 ${failover.p99Ms.toFixed(1)} ms over ${failover.kills} kills (teardown floor p50 ${failover.teardownP50Ms.toFixed(1)}, p99 ${failover.teardownP99Ms.toFixed(1)})`,
    met:
      failover === null || failover.load?.noisy === true
        ? null
        : failover.p50Ms <= 30 && failover.p99Ms <= 45 && failover.timeouts === 0,
  });
  checks.push({
    target: 'writes in the first second after a leader SIGKILL',
    requirement: '>= 0.7x the second before (median over the kills)',
    measured:
      failover === null
        ? 'not run'
        : `${x(failover.firstSecondRatio)} (worst kill ${x(failover.firstSecondWorst)}) over ${failover.kills} kills`,
    met: failover === null || failover.load?.noisy === true ? null : failover.firstSecondRatio >= 0.7,
  });
  checks.push({
    target: 'a fresh process: openStore, first write, close (follower)',
    requirement: 'p50 <= 80 ms',
    measured:
      firstWrite === null
        ? 'not run'
        : `p50 ${firstWrite.p50Ms.toFixed(1)} ms (open ${firstWrite.openP50Ms.toFixed(1)}, write ${firstWrite.writeP50Ms.toFixed(1)}, close ${firstWrite.closeP50Ms.toFixed(1)}) over ${firstWrite.processes} processes`,
    met: firstWrite === null || firstWrite.load?.noisy === true ? null : firstWrite.p50Ms <= 80,
  });
  const read = ratios.find((r) => r.scenario === 'read-latency' && r.reads === 'leader');
  checks.push({
    target: 'forwarded point read',
    requirement: 'p50 <= 2x the raw socket round trip',
    measured: read?.p50VsSocket === undefined ? 'not run' : `${x(read.p50VsSocket)}${read.noisy ? ' (noisy)' : ''}`,
    met: read?.p50VsSocket === undefined || read.noisy ? null : read.p50VsSocket <= 2,
  });
  checks.push({
    target: 'follower memory',
    requirement: '<= 5 MB over the same program without Baton',
    measured:
      memory === null
        ? 'not run'
        : `${formatSigned(memory.followerOverBaselineMb)} MB (the heir ${formatSigned(memory.heirOverBaselineMb)} MB)`,
    met: memory === null ? null : memory.followerOverBaselineMb <= 5,
  });
  for (const [sync, minimum] of [
    ['full', 1.2],
    ['normal', 0.7],
  ] as const) {
    const ratio = ratioOf('mixed', sync, FLEET, 1, 0, 'local');
    const worst = results.find(
      (r) => r.scenario === 'mixed' && r.system === 'baton-local' && r.sync === sync && r.flushMs === 0,
    );
    checks.push({
      target: `mixed 80/20, 7 processes, ${sync.toUpperCase()}, reads: 'local'`,
      requirement: `>= ${minimum}x direct, worst request < 100 ms`,
      measured:
        ratio === undefined || worst === undefined
          ? 'not run'
          : `${x(ratio.throughputRatio)}, worst ${worst.worstMaxMs.toFixed(1)} ms${ratio.minimalVsDirect === undefined ? '' : ` (minimal design reading locally: ${x(ratio.minimalVsDirect)})`}${ratio.noisy ? ' (noisy)' : ''}`,
      met:
        ratio === undefined || worst === undefined || ratio.noisy
          ? null
          : ratio.throughputRatio >= minimum && worst.worstMaxMs < 100,
    });
  }
  const localRead = ratios.find((r) => r.scenario === 'read-latency' && r.reads === 'local');
  checks.push({
    target: "point read, reads: 'local'",
    requirement: 'p50 <= 2.5x a direct in-process read',
    measured:
      localRead?.p50VsDirect === undefined
        ? 'not run'
        : `${x(localRead.p50VsDirect)}${localRead.noisy ? ' (noisy)' : ''}`,
    met: localRead?.p50VsDirect === undefined || localRead.noisy ? null : localRead.p50VsDirect <= 2.5,
  });
  checks.push({
    target: "follower memory, reads: 'local'",
    requirement: '<= 8 MB over the same program without Baton',
    measured: memory === null ? 'not run' : `${formatSigned(memory.localFollowerOverBaselineMb)} MB`,
    met: memory === null ? null : memory.localFollowerOverBaselineMb <= 8,
  });
  return checks;
}
