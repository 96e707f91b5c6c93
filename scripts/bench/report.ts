/**
 * The results document (`--json`, described in docs/benchmarks.md), with extra fields that make
 * the numbers checkable (per-round figures, CPU per request, group sizes, verification), and the
 * check of each performance target against what was measured.
 *
 * Every figure in `results` is the median over rounds; `ratios` are medians of per-round
 * ratios (each round pairs the two systems measured back to back).
 */
import type { Machine } from './machine';
import type { SyncMode, SystemKind } from './messages';
import type { Plan } from './plan';
import { PIPELINE_DEPTH, FLEET, SLOW_FLUSH_MS } from './plan';
import { errorCount, type SystemRun } from './scenarios/measurement';
import type { FailoverRun } from './scenarios/failover';
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
    killMs: number[];
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
  runs: SystemRun[],
): ResultEntry {
  const med = (pick: (run: SystemRun) => number): number => round(median(runs.map(pick)), 3);
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
    roundsMeasured: runs.length,
    rounds: runs.map((run) => ({
      round: run.round,
      opsPerSec: round(run.opsPerSec, 1),
      p50Ms: round(run.p50Ms, 3),
      p99Ms: round(run.p99Ms, 3),
      maxMs: round(run.maxMs, 3),
      busyEscaped: run.busyEscaped,
      cpuUsPerOp: round(run.cpuUsPerOp, 1),
      avgGroupSize: run.avgGroupSize === null ? null : round(run.avgGroupSize, 2),
    })),
  };
}

/** Per-round ratios of `pick(a) / pick(b)`, pairing runs of the same round. */
function roundRatios(a: SystemRun[], b: SystemRun[], pick: (run: SystemRun) => number): number[] {
  return a.flatMap((runA) => {
    const runB = b.find((run) => run.round === runA.round);
    return runB === undefined ? [] : [round(pick(runA) / pick(runB), 3)];
  });
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
  for (const { c, runs } of m.throughput) {
    const direct = runs.filter((run) => run.system === 'direct');
    for (const system of ['baton', 'baton-local', 'direct'] as const) {
      const side = runs.filter((run) => run.system === system);
      if (side.length > 0)
        results.push(resultEntry(c.scenario, c.sync, c.members, c.inflight, c.flushMs, c.readFraction, side));
    }
    for (const reads of ['leader', 'local'] as const) {
      const baton = runs.filter((run) => run.system === (reads === 'local' ? 'baton-local' : 'baton'));
      const perRound = roundRatios(baton, direct, (run) => run.opsPerSec);
      if (perRound.length > 0)
        ratios.push({
          scenario: c.scenario,
          sync: c.sync,
          members: c.members,
          inflight: c.inflight,
          flushMs: c.flushMs,
          reads,
          throughputRatio: round(median(perRound), 3),
          roundRatios: perRound,
        });
    }
  }
  if (m.read.length > 0) {
    const bySystem = (system: SystemKind): SystemRun[] => m.read.filter((run) => run.system === system);
    for (const system of ['baton', 'baton-local', 'socket', 'direct'] as const) {
      const runs = bySystem(system);
      if (runs.length > 0)
        results.push(resultEntry('read-latency', READ_SYNC, system === 'direct' ? 1 : 2, 1, 0, 1, runs));
    }
    for (const reads of ['leader', 'local'] as const) {
      const baton = bySystem(reads === 'local' ? 'baton-local' : 'baton');
      const perRound = roundRatios(baton, bySystem('direct'), (run) => run.opsPerSec);
      if (perRound.length === 0) continue;
      const vsSocket = roundRatios(baton, bySystem('socket'), (run) => run.p50Ms);
      const vsDirect = roundRatios(baton, bySystem('direct'), (run) => run.p50Ms);
      ratios.push({
        scenario: 'read-latency',
        sync: READ_SYNC,
        members: 2,
        inflight: 1,
        flushMs: 0,
        reads,
        throughputRatio: round(median(perRound), 3),
        roundRatios: perRound,
        p50VsSocket: vsSocket.length === 0 ? undefined : round(median(vsSocket), 3),
        p50VsDirect: vsDirect.length === 0 ? undefined : round(median(vsDirect), 3),
      });
    }
  }
  const failover = m.failover === null || m.failover.killMs.length === 0 ? null : failoverSummary(m.failover);
  const memory = m.memory.length === 0 ? null : memorySummary(m.memory);
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
    memory,
    targets: checkTargets(results, ratios, failover, memory),
    failures: m.failures,
  };
}

function failoverSummary(run: FailoverRun): NonNullable<BenchDocument['failover']> {
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
    killMs: run.killMs.map((ms) => round(ms, 2)),
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
  const ratioTarget = (
    target: string,
    minimum: number,
    scenario: string,
    sync: SyncMode,
    members: number,
    inflight: number,
    flushMs: number,
  ): void => {
    const ratio = ratioOf(scenario, sync, members, inflight, flushMs);
    checks.push({
      target,
      requirement: `>= ${minimum}x direct`,
      measured: ratio === undefined ? 'not run' : x(ratio.throughputRatio),
      met: ratio === undefined ? null : ratio.throughputRatio >= minimum,
    });
  };
  ratioTarget('7 writers, FULL, one in flight, flush 0', 1.2, 'writes', 'full', FLEET, 1, 0);
  ratioTarget(
    `7 writers, FULL, one in flight, flush ${SLOW_FLUSH_MS} ms`,
    4,
    'writes',
    'full',
    FLEET,
    1,
    SLOW_FLUSH_MS,
  );
  ratioTarget('7 writers, NORMAL, one in flight, flush 0', 0.4, 'writes', 'normal', FLEET, 1, 0);
  ratioTarget(`1 writer, FULL, one in flight, flush ${SLOW_FLUSH_MS} ms`, 0.9, 'writes', 'full', 1, 1, SLOW_FLUSH_MS);
  ratioTarget(
    `7 writers, NORMAL, pipelined (${PIPELINE_DEPTH} in flight), flush 0`,
    2,
    'pipelined',
    'normal',
    FLEET,
    PIPELINE_DEPTH,
    0,
  );
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
    measured: cpu === undefined ? 'not run' : `${cpu.cpuUsPerOp.toFixed(0)} us`,
    met: cpu === undefined ? null : cpu.cpuUsPerOp <= 65,
  });
  checks.push({
    target: 'failover after SIGKILL',
    requirement: 'p50 <= 25 ms, p99 <= 50 ms',
    measured:
      failover === null
        ? 'not run'
        : `p50 ${failover.p50Ms.toFixed(1)} ms, p99 ${failover.p99Ms.toFixed(1)} ms over ${failover.kills} kills (teardown floor p50 ${failover.teardownP50Ms.toFixed(1)}, p99 ${failover.teardownP99Ms.toFixed(1)})`,
    met: failover === null ? null : failover.p50Ms <= 25 && failover.p99Ms <= 50 && failover.timeouts === 0,
  });
  const read = ratios.find((r) => r.scenario === 'read-latency' && r.reads === 'leader');
  checks.push({
    target: 'forwarded point read',
    requirement: 'p50 <= 2x the raw socket round trip',
    measured: read?.p50VsSocket === undefined ? 'not run' : x(read.p50VsSocket),
    met: read?.p50VsSocket === undefined ? null : read.p50VsSocket <= 2,
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
          : `${x(ratio.throughputRatio)}, worst ${worst.worstMaxMs.toFixed(1)} ms`,
      met:
        ratio === undefined || worst === undefined ? null : ratio.throughputRatio >= minimum && worst.worstMaxMs < 100,
    });
  }
  const localRead = ratios.find((r) => r.scenario === 'read-latency' && r.reads === 'local');
  checks.push({
    target: "point read, reads: 'local'",
    requirement: 'p50 <= 2.5x a direct in-process read',
    measured: localRead?.p50VsDirect === undefined ? 'not run' : x(localRead.p50VsDirect),
    met: localRead?.p50VsDirect === undefined ? null : localRead.p50VsDirect <= 2.5,
  });
  checks.push({
    target: "follower memory, reads: 'local'",
    requirement: '<= 8 MB over the same program without Baton',
    measured: memory === null ? 'not run' : `${formatSigned(memory.localFollowerOverBaselineMb)} MB`,
    met: memory === null ? null : memory.localFollowerOverBaselineMb <= 8,
  });
  return checks;
}
