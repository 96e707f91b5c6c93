/**
 * The chaos runner's fault schedule, drawn from the seed alone: leader kills at one rhythm,
 * every other fault at another, merged by time. Also what the election mode changes: with the
 * lockfile lease a takeover takes at least 2 s, so leader kills are rarer, leader pauses twice
 * as frequent and long enough to be overtaken, and members time out sooner.
 */
import type { Random } from './random';

/** The timings that depend on the election mode. */
export const TIMINGS = {
  flock: {
    /** Members' request timeout: long, since nothing should fail. */
    requestTimeoutMs: 20_000,
    /** How long a paused process stays stopped: below the request timeout. */
    pauseMs: [200, 1500],
    /** Time between two leader kills. */
    leaderKillGapMs: [500, 2000],
  },
  lockfile: {
    /** Short, so paused leaders are overtaken and their members' requests end. */
    requestTimeoutMs: 3000,
    /** Beyond the lease's 2 s staleness: a paused leader may be overtaken. */
    pauseMs: [200, 4000],
    leaderKillGapMs: [3000, 6000],
  },
} as const;

/** Time between two faults other than leader kills and file replacements. */
const OTHER_GAP_MS = [150, 800] as const;

/** Time between two replacements of the database file (`--replace`). */
export const REPLACE_GAP_MS = [10_000, 20_000] as const;

/** The kinds of fault besides the leader kills, with their relative frequency. */
export const FAULT_WEIGHTS = {
  followerKill: 3,
  pause: 2,
  followerPause: 1,
  gracefulRestart: 2,
  init: 2,
  batchBurst: 2,
  transactionBurst: 2,
  pipelineBurst: 1,
} as const;

/** Every kind of fault the runner injects. */
export type FaultKind = keyof typeof FAULT_WEIGHTS | 'leaderKill' | 'replace';

/** One scheduled fault; its random numbers are drawn when scheduled, so the schedule depends on the seed alone. */
export interface Fault {
  atMs: number;
  kind: FaultKind;
  r: [number, number, number];
}

/** The fault schedule: an endless sequence of faults in time order. */
export class Schedule {
  private nextLeaderKill: number;
  private nextOther: number;
  /** Infinity when the file is never replaced. */
  private nextReplace: number;
  private readonly killGap: readonly [number, number];
  private readonly weights: Record<keyof typeof FAULT_WEIGHTS, number>;

  /**
   * `replacements`: the file replacements' own random stream (null: none), so that turning them
   * on or off leaves every other fault of a seed where it was.
   */
  constructor(
    private readonly random: Random,
    lock: 'flock' | 'lockfile',
    private readonly replacements: Random | null = null,
  ) {
    this.killGap = TIMINGS[lock].leaderKillGapMs;
    this.weights = lock === 'flock' ? { ...FAULT_WEIGHTS } : { ...FAULT_WEIGHTS, pause: 2 * FAULT_WEIGHTS.pause };
    this.nextLeaderKill = random.between(...this.killGap);
    this.nextOther = random.between(...OTHER_GAP_MS);
    this.nextReplace = replacements === null ? Infinity : replacements.between(...REPLACE_GAP_MS);
  }

  /** The next fault in time. */
  next(): Fault {
    if (this.replacements !== null && this.nextReplace <= Math.min(this.nextLeaderKill, this.nextOther)) {
      const atMs = this.nextReplace;
      this.nextReplace += this.replacements.between(...REPLACE_GAP_MS);
      return { atMs, kind: 'replace', r: [0, 0, 0] };
    }
    const r: [number, number, number] = [this.random.next(), this.random.next(), this.random.next()];
    if (this.nextLeaderKill <= this.nextOther) {
      const atMs = this.nextLeaderKill;
      this.nextLeaderKill += this.random.between(...this.killGap);
      return { atMs, kind: 'leaderKill', r };
    }
    const atMs = this.nextOther;
    this.nextOther += this.random.between(...OTHER_GAP_MS);
    return { atMs, kind: this.random.weighted(this.weights), r };
  }
}
