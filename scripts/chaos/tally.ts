/** What happened during a chaos run, counted as it happens, for the verdict and the summary. */
import type { ObservedLeader } from './check';
import type { ChaosProcess } from './fleet';
import type { ChaosEvent } from './protocol';

/** The running count of faults, restarts and what the members reported. */
export interface Tally {
  leaderKills: number;
  followerKills: number;
  /** Leader SIGSTOP/SIGCONT. */
  pauses: number;
  /** Follower SIGSTOP/SIGCONT. */
  followerPauses: number;
  gracefulRestarts: number;
  gracefulLeaderRestarts: number;
  inits: number;
  /** Database files replaced under the fleet (`--replace`). */
  replacements: number;
  /** Replacements after which no leadership began on the new file in time. */
  replacementsUnnoticed: string[];
  initFailures: string[];
  /** Lockfile mode: init calls that found no leader within the short timeout (expected there). */
  initsTimedOut: number;
  bursts: { batch: number; transaction: number; pipeline: number };
  /** Faults that found no target (no leader known within 3 s, nobody to pick), by kind. */
  skipped: Record<string, number>;
  restarts: number;
  restartFailures: number;
  failoverMs: number[];
  backgroundErrors: Record<string, number>;
  /** The first few messages of each background error code. */
  backgroundExamples: Record<string, string[]>;
  alarming: string[];
  observedLeaders: ObservedLeader[];
  hungAtClose: string[];
}

/** A tally with nothing counted yet. */
export function newTally(): Tally {
  return {
    leaderKills: 0,
    followerKills: 0,
    pauses: 0,
    followerPauses: 0,
    gracefulRestarts: 0,
    gracefulLeaderRestarts: 0,
    inits: 0,
    replacements: 0,
    replacementsUnnoticed: [],
    initFailures: [],
    initsTimedOut: 0,
    bursts: { batch: 0, transaction: 0, pipeline: 0 },
    skipped: {},
    restarts: 0,
    restartFailures: 0,
    failoverMs: [],
    backgroundErrors: {},
    backgroundExamples: {},
    alarming: [],
    observedLeaders: [],
    hungAtClose: [],
  };
}

/** Counts what a member reported: leaderships (for the epoch check), failovers, background errors. */
export function recordEvent(tally: Tally, member: ChaosProcess, event: ChaosEvent): void {
  if ((event.ev === 'role' || event.ev === 'opened') && event.role === 'leader') {
    tally.observedLeaders.push({ pid: member.pid, epoch: event.epoch, member: member.name });
  } else if (event.ev === 'failover') {
    tally.failoverMs.push(event.ms);
  } else if (event.ev === 'error') {
    tally.backgroundErrors[event.code] = (tally.backgroundErrors[event.code] ?? 0) + 1;
    const examples = (tally.backgroundExamples[event.code] ??= []);
    if (examples.length < 3) examples.push(`${member.name}: ${event.message}`);
    if (/malformed|disk I\/O|CORRUPT|IOERR/i.test(event.message))
      tally.alarming.push(`${member.name}: ${event.code} ${event.message}`);
  }
}
