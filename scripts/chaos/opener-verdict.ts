/**
 * The verdict on Baton's first guarantee in a chaos run, "at most one process has the database
 * file, its -wal or its -shm open at any instant", from either way of watching: the opener
 * tracker's events (exact: every open seen, opener-tracking.ts) or the /proc sampler's overlaps
 * (openers.ts, when the tracker cannot run). Both give the check for the summary and what was
 * seen, for the text and the JSON summary.
 */
import type { Check } from './check';
import { overlapWindowsOf, type OpenerEvent } from './opener-tracking';
import type { OpenerSampler, Overlap } from './openers';

/** What the exact verdict needs to know of a process the runner started (a ChaosProcess is one). */
export interface TrackedProcess {
  pid: number;
  name: string;
  /** When the runner forked it (wall clock, ms): an earlier event under its pid was another process. */
  spawnedAtMs: number;
  /** From each SIGSTOP the runner sent it while it reported itself leader to its next leadership (ms; null: never). */
  leaderPauses: readonly { fromMs: number; toMs: number | null }[];
}

/** An interval in which two processes held the files, as the tracker saw it. */
export interface ExactOverlap {
  /** `name (pid N)` of the process that opened a file while the other held one. */
  opener: string;
  /** `name (pid N)` of the process that still held a file. */
  heldBy: string;
  /** The two pids: opener, then holder. */
  pids: [number, number];
  /** The files the opener opened while the other held one. */
  files: string[];
  /** Wall clock, microseconds: the opener's first open in this interval. */
  fromUs: number;
  /** When the holder released its last file (null: not while tracked). */
  toUs: number | null;
  durationUs: number | null;
  /** One of the two was a leader the runner had paused (with the lockfile lease, allowed). */
  pausedLeaderInvolved: boolean;
}

/**
 * What is checked: `openers`, at most one process holds the database, its -wal or its -shm;
 * `writers` (when readers with `reads: 'local'` run), at most one process holds the database
 * file open for writing (readers hold it read-only beside the leader).
 */
export type OpenersGuarantee = 'openers' | 'writers';

/** What the opener check saw, by method (the `openers` part of the summary). */
export type OpenersSeen =
  | {
      method: 'exact';
      check: OpenersGuarantee;
      opens: number;
      /** Opens of the database file for writing. */
      writeOpens: number;
      /** Holders (`openers`) or writers (`writers`) at once, at most. */
      maxAtOnce: number;
      lostEvents: number;
      overlaps: ExactOverlap[];
    }
  | {
      method: 'sample';
      check: OpenersGuarantee;
      fallbackReason: string | null;
      samples: number;
      maxAtOnce: number;
      overlaps: Overlap[];
    };

/** What the opener tracker's verdict rests on. */
export type ExactOpenersSeen = Extract<OpenersSeen, { method: 'exact' }>;

/** The check and what it rests on. */
export interface OpenersVerdict {
  check: Check;
  seen: OpenersSeen;
}

const FLOCK_NAME = 'never two processes with the database open';
const LOCKFILE_NAME = 'never two processes with the database open, except a paused leader overtaken (lockfile)';
const WRITERS_NAME = 'never two processes with the database open for writing';

function checkName(lock: 'flock' | 'lockfile', check: OpenersGuarantee): string {
  return check === 'writers' ? WRITERS_NAME : lock === 'flock' ? FLOCK_NAME : LOCKFILE_NAME;
}

/** `1 open`, `2 opens`. */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The process the runner had forked under `pid` at `atUs` (the latest one forked before then). */
function processAt(processes: readonly TrackedProcess[], pid: number, atUs: number): TrackedProcess | undefined {
  let found: TrackedProcess | undefined;
  for (const p of processes)
    if (p.pid === pid && p.spawnedAtMs * 1000 <= atUs && (found === undefined || p.spawnedAtMs >= found.spawnedAtMs))
      found = p;
  return found;
}

function pausedLeaderAt(tracked: TrackedProcess | undefined, atUs: number): boolean {
  return (
    tracked?.leaderPauses.some((p) => p.fromMs * 1000 <= atUs && (p.toMs === null || atUs < p.toMs * 1000)) ?? false
  );
}

/**
 * Every overlap the tracker saw, one per opener, holder and release: the opener's opens of the
 * database, -wal and -shm while the same holder still held a file make one interval.
 */
function exactOverlaps(events: readonly OpenerEvent[], processes: readonly TrackedProcess[]): ExactOverlap[] {
  const reports = events.flatMap((e) => (e.kind === 'OVERLAP' ? [e] : []));
  const merged: ExactOverlap[] = [];
  overlapWindowsOf(events).forEach((window, i) => {
    const file = reports[i]!.name;
    const same = merged.find((o) => o.pids[0] === window.pid && o.pids[1] === window.heldBy && o.toUs === window.toUs);
    if (same !== undefined) {
      if (!same.files.includes(file)) same.files.push(file);
      return;
    }
    const opener = processAt(processes, window.pid, window.fromUs);
    const holder = processAt(processes, window.heldBy, window.fromUs);
    const label = (p: TrackedProcess | undefined, pid: number): string =>
      `${p?.name ?? 'not started by the runner'} (pid ${pid})`;
    merged.push({
      opener: label(opener, window.pid),
      heldBy: label(holder, window.heldBy),
      pids: [window.pid, window.heldBy],
      files: [file],
      fromUs: window.fromUs,
      toUs: window.toUs,
      durationUs: window.toUs === null ? null : window.toUs - window.fromUs,
      pausedLeaderInvolved: pausedLeaderAt(opener, window.fromUs) || pausedLeaderAt(holder, window.fromUs),
    });
  });
  return merged;
}

/**
 * Holders at once, at its highest: the tracker reports each open as one OVERLAP line per other
 * holder, then the OPEN line, so each open's holders are its OVERLAP lines plus the opener. The
 * count only grows at an open, so its highest value is reached at one. In the writers check the
 * tracker compares only opens of the database file for writing with the other writers, so the
 * count is taken at those opens alone: it is then writers at once.
 */
function maxHolders(events: readonly OpenerEvent[], writersOf: string | null): number {
  let max = 0;
  let others = 0;
  for (const e of events) {
    if (e.kind === 'OVERLAP') {
      others++;
      continue;
    }
    if (e.kind === 'OPEN' && (writersOf === null || (e.write === true && e.name === writersOf)))
      max = Math.max(max, others + 1);
    others = 0;
  }
  return max;
}

function describeExact(list: readonly ExactOverlap[]): string {
  return list
    .slice(0, 3)
    .map(
      (o) =>
        `${o.opener} opened ${o.files.join(', ')} while ${o.heldBy} held the files, ${o.durationUs === null ? 'until the end' : `for ${o.durationUs} µs`} (from ${new Date(Math.floor(o.fromUs / 1000)).toISOString()})`,
    )
    .join('; ');
}

/**
 * The verdict from the tracker's events. Lost events (an overflow) fail the check in either
 * mode: after one, nothing is proven. With flock any overlap fails it. The lockfile lease lets
 * a paused leader be overtaken, so there an overlap in which one holder is a leader the runner
 * had paused (SIGSTOP while it reported itself leader, before the overlap began, and no new
 * leadership since) is reported and allowed; any other fails it.
 *
 * A holder the runner SIGKILLed earns no allowance, unlike in the /proc sampler (whose two
 * reads of a dying process are not one instant). The kernel tears a killed process down in
 * order: its memory (the -shm mapping) first, then its descriptor table, detached from the
 * process before any file in it is released, and only then the files themselves, the election
 * lock among them. So when a successor can win the flock, /proc already shows the killed process
 * holding nothing, and the tracker, which checks /proc at the successor's open, cannot see an
 * overlap; test/one-opener.test.ts asserts exactly that across SIGKILLs of the leader. With the
 * lease, a successor takes over only after the killed leader's lease went stale (2 s), far past
 * its teardown. An overlap with a killed holder therefore means something real (a successor
 * that opened without winning, a kill that did not land), and fails the run.
 */
export function exactOpenersVerdict(
  events: readonly OpenerEvent[],
  processes: readonly TrackedProcess[],
  lock: 'flock' | 'lockfile',
  writersOf: string | null = null,
): OpenersVerdict & { seen: ExactOpenersSeen } {
  const overlaps = exactOverlaps(events, processes);
  const lostEvents = events.filter((e) => e.kind === 'OVERFLOW').length;
  const opens = events.filter((e) => e.kind === 'OPEN').length;
  const writeOpens = events.filter((e) => e.kind === 'OPEN' && e.write === true && e.name === writersOf).length;
  const maxAtOnce = maxHolders(events, writersOf);
  const check = writersOf === null ? 'openers' : 'writers';
  const seen: ExactOpenersSeen = { method: 'exact', check, opens, writeOpens, maxAtOnce, lostEvents, overlaps };
  const saw =
    writersOf === null
      ? `opener tracker (every open): ${plural(opens, 'open')} of the database, -wal and -shm, at most ${plural(maxAtOnce, 'holder')} at once`
      : `opener tracker (every open, writers check): ${plural(opens, 'open')} of the database, -wal and -shm, ${plural(writeOpens, 'open')} of the database for writing, at most ${plural(maxAtOnce, 'writer')} at once`;
  const lost = lostEvents > 0 ? [`the tracker lost events (${plural(lostEvents, 'overflow')}): nothing is proven`] : [];
  const failing = lock === 'flock' ? overlaps : overlaps.filter((o) => !o.pausedLeaderInvolved);
  const problems = [
    ...lost,
    ...(failing.length > 0
      ? [
          `${plural(failing.length, 'overlap')}${lock === 'lockfile' ? ' with no paused leader among the holders' : ''}: ${describeExact(failing)}`,
        ]
      : []),
  ];
  const allowed = overlaps.length - failing.length;
  const detail =
    problems.length > 0
      ? problems.join('; ')
      : allowed === 0
        ? saw
        : `${saw}; ${plural(allowed, 'overlap')}, each with a leader the runner had paused: ${describeExact(overlaps)}`;
  return { check: { name: checkName(lock, check), ok: problems.length === 0, detail }, seen };
}

/**
 * The verdict from /proc samples. With flock any overlap is a violation. The lockfile lease lets
 * a paused leader be overtaken, so there an overlap is allowed only while one holder is a leader
 * the runner paused; every overlap is reported either way.
 */
export function sampledOpenersVerdict(
  sampler: OpenerSampler,
  lock: 'flock' | 'lockfile',
  fallbackReason: string | null,
): OpenersVerdict {
  const overlaps = sampler.overlaps;
  const seen: OpenersSeen = {
    method: 'sample',
    check: sampler.writersOnly ? 'writers' : 'openers',
    fallbackReason,
    samples: sampler.samples,
    maxAtOnce: sampler.maxHolders,
    overlaps,
  };
  const saw = `${plural(sampler.samples, 'sample')} of /proc (can miss a short overlap${fallbackReason === null ? '' : `; not exact because ${fallbackReason}`}), at most ${plural(sampler.maxHolders, sampler.writersOnly ? 'writer' : 'holder')} at once`;
  const describe = (list: readonly Overlap[]): string =>
    list
      .slice(0, 3)
      .map((o) => `${o.holders.join(' and ')} had the database open at once`)
      .join('; ');
  if (lock === 'flock')
    return {
      check: {
        name: checkName(lock, seen.check),
        ok: overlaps.length === 0,
        detail: overlaps.length === 0 ? saw : describe(overlaps),
      },
      seen,
    };
  const unexplained = overlaps.filter((o) => !o.pausedLeaderInvolved);
  const detail =
    unexplained.length > 0
      ? `${unexplained.length} samples with two holders and no paused leader among them: ${describe(unexplained)}`
      : overlaps.length === 0
        ? saw
        : `${saw}; ${overlaps.length} with two holders, each with a leader the runner had paused (e.g. ${overlaps[0]!.holders.join(' and ')})`;
  return { check: { name: LOCKFILE_NAME, ok: unexplained.length === 0, detail }, seen };
}
