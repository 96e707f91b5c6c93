/**
 * The chaos run's verdict and its printout: the checks taken from the database (check.ts)
 * joined with what the runner itself saw (openers, init calls, closes, failures), and the
 * summary printed as text or as one JSON document.
 */
import { percentile } from '../shared';
import type { Check, WriteTotals } from './check';
import type { EpochRecord } from '@baton/store';
import type { GenerationsSeen } from './generations';
import { plural, type OpenersSeen } from './opener-verdict';
import { SAMPLE_EVERY_MS } from './openers';
import type { ReadsSeen } from './reads-verdict';
import type { ChaosRun } from './run';
import type { Tally } from './tally';

/** The summary printed at the end (also the `--json` document). */
export interface ChaosSummary {
  ok: boolean;
  seed: string;
  seconds: number;
  members: number;
  readers: number;
  /** Member slots run by the Python member. */
  python: number;
  lock: 'flock' | 'lockfile';
  elapsedSeconds: number;
  faults: Pick<
    Tally,
    | 'leaderKills'
    | 'followerKills'
    | 'pauses'
    | 'followerPauses'
    | 'gracefulRestarts'
    | 'gracefulLeaderRestarts'
    | 'inits'
    | 'replacements'
    | 'bursts'
    | 'skipped'
    | 'restarts'
  >;
  writes: WriteTotals;
  /** The readers' reads (null: no readers). */
  reads: ReadsSeen | null;
  /** The database's files: the final one and each one replaced. */
  generations: GenerationsSeen & { epochs: number[] };
  leaders: {
    /** Epochs in all files together. */
    epochs: number;
    /** Leader changes from a Node to a Python leader and back, from the epoch history (with --python). */
    languageChanges: { toPython: number; toNode: number };
    failoverMs: { count: number; median: number | null; p99: number | null; max: number | null };
  };
  /** How the openers were checked (`exact`: the opener tracker; `sample`: /proc) and what was seen. */
  openers: OpenersSeen;
  backgroundErrors: Record<string, number>;
  backgroundExamples: Record<string, string[]>;
  checks: Check[];
  violations: string[];
  tempDir: string | null;
}

/** A nearest-rank percentile of `values` (0 < p <= 1), or null when there are none. */
function percentileOrNull(values: number[], p: number): number | null {
  return values.length === 0 ? null : percentile(values, p);
}

/** What the verdict read from the files and logs after the run. */
export interface FileVerdict {
  rowChecks: Check[];
  totals: WriteTotals;
  dbChecks: Check[];
  /** Epochs in each generation's file, by generation. */
  epochsByGeneration: number[];
  /** Every generation's epoch history, oldest file first: who led, in order. */
  everyEpoch: EpochRecord[];
  /** The readers' checks and counts (null: no readers). */
  reads: { checks: Check[]; seen: ReadsSeen } | null;
  generations: { check: Check; seen: GenerationsSeen };
}

/** Joins the checks of the files and logs with what the runner saw into the verdict. */
export function summarize(run: ChaosRun, verdict: FileVerdict): ChaosSummary {
  const { rowChecks, totals, dbChecks, epochsByGeneration, everyEpoch } = verdict;
  const { options, tally: t } = run;
  // A request may fail only when its transaction died with its leader (or was rolled back on
  // purpose): every other request must be answered, faults or not, within its timeout.
  // With a lease (lockfile), a request to a paused leader times out by design, and one sent
  // during the takeover may find no leader in time.
  const allowed =
    options.lock === 'lockfile'
      ? /^(TRANSACTION_ABORTED|ROLLED_BACK|TIMEOUT|NO_LEADER)\b/
      : /^(TRANSACTION_ABORTED|ROLLED_BACK)\b/;
  const openers = run.openersVerdict();
  const unexpectedFailures = Object.entries(totals.failuresByCode).filter(([code]) => !allowed.test(code));
  const checks: Check[] = [
    ...rowChecks,
    ...dbChecks,
    ...(verdict.generations.seen.files > 1 ? [verdict.generations.check] : []),
    ...(verdict.reads?.checks ?? []),
    openers.check,
    {
      name: 'every schema init call succeeded',
      ok: t.initFailures.length === 0,
      detail:
        t.initFailures.length === 0
          ? `${t.inits - t.initsTimedOut} calls saw schema version 2${t.initsTimedOut > 0 ? `, ${t.initsTimedOut} found no leader in time (lockfile)` : ''}`
          : t.initFailures.slice(0, 3).join('; '),
    },
    ...(t.replacements > 0
      ? [
          {
            name: 'every replaced file noticed: a new leadership on the new file',
            ok: t.replacementsUnnoticed.length === 0,
            detail:
              t.replacementsUnnoticed.length === 0
                ? `${t.replacements} replacements, each followed by a leader on the new file`
                : t.replacementsUnnoticed.slice(0, 3).join('; '),
          },
        ]
      : []),
    {
      name: 'every member closed when asked',
      ok: t.hungAtClose.length === 0,
      detail: t.hungAtClose.length === 0 ? 'yes' : t.hungAtClose.slice(0, 3).join('; '),
    },
    {
      name: 'no corruption reported by any member',
      ok: t.alarming.length === 0,
      detail: t.alarming.length === 0 ? 'none' : t.alarming.slice(0, 3).join('; '),
    },
    {
      name: 'no request failed except transactions whose leader died',
      ok: unexpectedFailures.length === 0,
      detail:
        unexpectedFailures.length === 0
          ? `every failure was TRANSACTION_ABORTED or a deliberate rollback${options.lock === 'lockfile' ? ' (or, with the lease, TIMEOUT / NO_LEADER)' : ''}`
          : unexpectedFailures.map(([code, n]) => `${code} x${n}`).join(', '),
    },
    {
      name: 'the fleet made progress',
      ok: totals.opsAcked > 0 && (options.seconds < 5 || t.leaderKills > 0),
      detail: `${totals.opsAcked} operations acknowledged, ${t.leaderKills} leader kills`,
    },
  ];
  const failover = [...t.failoverMs].sort((a, b) => a - b);
  // Which language led each epoch: the process the runner started with that pid.
  const pythonPids = new Set(run.fleet.started.filter((p) => p.python).map((p) => p.pid));
  const leaderIsPython = everyEpoch.map((e) => pythonPids.has(e.pid));
  const languageChanges = { toPython: 0, toNode: 0 };
  for (let i = 1; i < leaderIsPython.length; i++) {
    if (leaderIsPython[i] && !leaderIsPython[i - 1]) languageChanges.toPython++;
    if (!leaderIsPython[i] && leaderIsPython[i - 1]) languageChanges.toNode++;
  }
  return {
    ok: checks.every((c) => c.ok),
    seed: options.seed,
    seconds: options.seconds,
    members: options.members,
    readers: options.readers,
    python: options.python,
    lock: options.lock,
    elapsedSeconds: Math.round((Date.now() - run.startedAt) / 100) / 10,
    faults: {
      leaderKills: t.leaderKills,
      followerKills: t.followerKills,
      pauses: t.pauses,
      followerPauses: t.followerPauses,
      gracefulRestarts: t.gracefulRestarts,
      gracefulLeaderRestarts: t.gracefulLeaderRestarts,
      inits: t.inits,
      replacements: t.replacements,
      bursts: t.bursts,
      skipped: t.skipped,
      restarts: t.restarts,
    },
    writes: totals,
    reads: verdict.reads?.seen ?? null,
    generations: { ...verdict.generations.seen, epochs: epochsByGeneration },
    leaders: {
      epochs: epochsByGeneration.reduce((a, b) => a + b, 0),
      languageChanges,
      failoverMs: {
        count: failover.length,
        median: percentileOrNull(failover, 0.5),
        p99: percentileOrNull(failover, 0.99),
        max: failover[failover.length - 1] ?? null,
      },
    },
    openers: openers.seen,
    backgroundErrors: t.backgroundErrors,
    backgroundExamples: t.backgroundExamples,
    checks,
    violations: checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
    tempDir: options.keep ? run.dir : null,
  };
}

/** The `Openers:` lines: how the openers were checked, what was seen, and each overlap. */
function openersLines(o: OpenersSeen): string[] {
  const who = o.check === 'writers' ? 'writer' : 'holder';
  if (o.method === 'sample') {
    return [
      `Openers:  sampled /proc every ${SAMPLE_EVERY_MS} ms${o.fallbackReason === null ? ' (as asked)' : `, not exact: ${o.fallbackReason}`}${o.check === 'writers' ? ', writers of the database file' : ''}: ${plural(o.samples, 'sample')}, at most ${plural(o.maxAtOnce, who)} at once, ${plural(o.overlaps.length, 'sample')} with two ${who}s`,
      ...o.overlaps
        .slice(0, 10)
        .map(
          (v) =>
            `            ${v.holders.join(' and ')}${v.pausedLeaderInvolved ? ' (a paused leader among them)' : ''}`,
        ),
    ];
  }
  return [
    `Openers:  exact (opener tracker, every open seen${o.check === 'writers' ? ', writers check' : ''}): ${plural(o.opens, 'open')} of the database, -wal and -shm${o.check === 'writers' ? ` (${o.writeOpens} of the database for writing)` : ''}, at most ${plural(o.maxAtOnce, who)} at once, ${plural(o.overlaps.length, 'overlap')}, ${plural(o.lostEvents, 'lost event')}`,
    ...o.overlaps
      .slice(0, 10)
      .map(
        (v) =>
          `            ${v.opener} opened ${v.files.join(', ')} while ${v.heldBy} held the files: ${v.durationUs === null ? 'until the end' : `${v.durationUs} µs`}${v.pausedLeaderInvolved ? ' (a paused leader)' : ''}`,
      ),
  ];
}

/** The summary as text, for a terminal. */
export function formatSummary(s: ChaosSummary): string {
  const f = s.faults;
  const w = s.writes;
  const failures =
    Object.entries(w.failuresByCode)
      .map(([code, n]) => `${code} x${n}`)
      .join(', ') || 'none';
  const background =
    Object.entries(s.backgroundErrors)
      .map(([code, n]) => `${code} x${n}`)
      .join(', ') || 'none';
  const ms = s.leaders.failoverMs;
  const lines = [
    `Baton chaos: ${s.members} members${s.python > 0 ? ` (${s.python} Python)` : ''}, ${s.readers} readers, ${s.seconds} s of faults (seed ${s.seed}${s.lock === 'lockfile' ? ', lock: lockfile' : ''}), ${s.elapsedSeconds} s in all`,
    `Faults:   ${f.leaderKills} leader SIGKILLs, ${f.followerKills} follower SIGKILLs, ${f.pauses} leader and ${f.followerPauses} follower SIGSTOP/SIGCONT, ${f.gracefulRestarts} graceful restarts (${f.gracefulLeaderRestarts} of the leader), ${f.inits} schema init calls, ${f.replacements} file replacements,`,
    `          bursts: ${f.bursts.batch} of large batches, ${f.bursts.transaction} of interactive transactions, ${f.bursts.pipeline} of pipelined writes; ${f.restarts} restarts; skipped for want of a target: ${
      Object.entries(f.skipped)
        .map(([k, n]) => `${k} x${n}`)
        .join(', ') || 'none'
    }`,
    `Writes:   ${w.opsSent} operations sent, ${w.opsAcked} acknowledged (${w.rowsAcked} rows); ${w.rowsInDatabase} rows in the database`,
    `          failed requests: ${failures}`,
    `          unanswered (member killed or in doubt): ${w.opsUncertainApplied} applied whole, ${w.opsUncertainNotApplied} not applied`,
    ...(s.generations.files === 1
      ? []
      : [
          `Files:    ${plural(s.generations.files, 'generation')} (rows ${w.rowsByGeneration.join(', ')}; epochs ${s.generations.epochs.join(', ')}); ${s.generations.walsRestored} replaced files' WALs put back; ${w.opsAckedInLostFiles} acknowledged operations are in replaced files (lost to the replacement, not to Baton), ${w.opsReappliedAfterReplacement} committed to a replaced file as it went and applied again in the next (reply lost with its leader, re-sent)`,
        ]),
    ...(s.reads === null
      ? []
      : [
          `Reads:    ${s.reads.checked} reads checked (${s.reads.local} served locally, ${s.reads.forwarded} forwarded), ${s.reads.failed} failed, ${plural(s.reads.violations, 'violation')}`,
        ]),
    `Leaders:  ${s.leaders.epochs} epochs${s.python > 0 ? ` (leadership passed Node -> Python ${s.leaders.languageChanges.toPython} times, Python -> Node ${s.leaders.languageChanges.toNode} times)` : ''}; failover as measured by members: ${ms.count} failovers, median ${ms.median ?? '-'} ms, p99 ${ms.p99 ?? '-'} ms, max ${ms.max ?? '-'} ms`,
    `          background errors reported by members: ${background}`,
    ...Object.values(s.backgroundExamples)
      .flat()
      .map((example) => `            e.g. ${example}`),
    ...openersLines(s.openers),
    'Checks (sqlite3 CLI, after every member exited):',
    ...s.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`),
    s.ok ? 'Result: PASS' : `Result: FAIL (${s.violations.length} violations)`,
  ];
  if (s.tempDir !== null) lines.push(`Kept: ${s.tempDir}`);
  return lines.join('\n');
}
