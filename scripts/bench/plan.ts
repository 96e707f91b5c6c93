/** What one invocation runs: the full set of scenarios, or the `--quick` subset. */
import type { BenchOptions, ScenarioName } from './options';
import type { ThroughputCase, Timing } from './scenarios/throughput';

/** The scenarios and settings of one invocation. */
export interface Plan {
  quick: boolean;
  rounds: number;
  timing: Timing;
  /** Throughput cases in the order they run within a round. */
  cases: ThroughputCase[];
  readLatency: boolean;
  /** 0 to skip the failover scenario. */
  failoverKills: number;
  failoverMembers: number;
  /** Fresh processes of the first-write scenario (0 to skip). */
  firstWrites: number;
  /** Rounds of the memory scenario (0 to skip). */
  memoryRounds: number;
}

/** The fleet size of the deployment that motivated Baton (seven gateways). */
export const FLEET = 7;
/** Requests in flight per process in the pipelined scenario. */
export const PIPELINE_DEPTH = 64;

/**
 * The warmup of every throughput run, --quick included. A fresh member's CPU per request kept
 * falling for 3 to 4.5 s of load (V8 optimizes Baton's JavaScript as it runs), the minimal
 * design's for 1.5 s: measured before that, Baton ran at half its speed and --quick and the
 * full run disagreed by 2x. The report's warm-up curve shows whether this was enough.
 */
export const WARMUP_MS = 6000;

/** The slower flush the full run adds beside the machine's own: a realistic SSD or cloud volume. */
export const SLOW_FLUSH_MS = 1;

/** Builds the plan from the options. */
export function buildPlan(options: BenchOptions): Plan {
  const wanted = (name: ScenarioName): boolean => options.only === null || options.only.includes(name);
  const flushMs = options.flushMs ?? 0;
  const cases: ThroughputCase[] = [];
  const add = (
    scenario: ThroughputCase['scenario'],
    sync: ThroughputCase['sync'],
    members: number,
    inflight: number,
    readFraction: number,
    flush = flushMs,
  ): void => {
    cases.push({ scenario, sync, members, inflight, readFraction, flushMs: flush });
  };
  if (options.quick) {
    // The reduced set: 7 writers at FULL and at NORMAL with one in flight, 7 pipelined
    // writers at NORMAL (and 10 failovers, below).
    if (wanted('writes')) for (const sync of ['full', 'normal'] as const) add('writes', sync, FLEET, 1, 0);
    if (wanted('pipelined')) add('pipelined', 'normal', FLEET, PIPELINE_DEPTH, 0);
    if (wanted('mixed') && options.only !== null) add('mixed', 'normal', FLEET, 1, 0.8);
  } else {
    for (const scenario of ['writes', 'pipelined'] as const) {
      if (!wanted(scenario)) continue;
      for (const sync of ['full', 'normal'] as const) {
        for (const members of [1, 4, FLEET])
          add(scenario, sync, members, scenario === 'writes' ? 1 : PIPELINE_DEPTH, 0);
      }
    }
    if (wanted('mixed')) for (const sync of ['full', 'normal'] as const) add('mixed', sync, FLEET, 1, 0.8);
    // Without --flush-ms the full run repeats the FULL write cases on a slower flush: this
    // machine's fsync is nearly free, which hides what group commit is for. (At NORMAL a WAL
    // commit does not flush, so those cases would measure the same thing twice.)
    if (options.flushMs === null) {
      for (const scenario of ['writes', 'pipelined'] as const) {
        if (!wanted(scenario)) continue;
        for (const members of [1, 4, FLEET])
          add(scenario, 'full', members, scenario === 'writes' ? 1 : PIPELINE_DEPTH, 0, SLOW_FLUSH_MS);
      }
    }
  }
  return {
    quick: options.quick,
    rounds: options.rounds,
    // --quick keeps the full warmup (a settled fleet is the point) and shortens the window:
    // one second still gives thousands of samples.
    timing: {
      warmupMs: options.warmupMs ?? WARMUP_MS,
      durationMs: options.durationMs ?? (options.quick ? 1000 : 3000),
    },
    cases,
    readLatency: wanted('read-latency'),
    failoverKills: wanted('failover') ? (options.kills ?? (options.quick ? 10 : 20)) : 0,
    failoverMembers: FLEET,
    firstWrites: wanted('first-write') ? (options.kills ?? (options.quick ? 10 : 20)) : 0,
    // RSS hardly moves between rounds (within 1 MB here), so --quick measures it once.
    memoryRounds: wanted('memory') ? (options.quick ? 1 : options.rounds) : 0,
  };
}
