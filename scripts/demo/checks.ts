/**
 * The demo's verdict. The board is read by an independent reader, a fresh read-only
 * better-sqlite3 connection opened after every gateway has exited, so nothing of Baton stands
 * between the check and the file; that reading and what the run observed become the checks.
 */
import Database from 'better-sqlite3';
import { auditBoard, type BoardAudit } from '@baton/kanban';
import type { EpochRecord } from '@baton/store';
import type { InitRun, KillRecord } from './fleet';
import { SAMPLE_EVERY_MS, type HolderSampler } from './holders';
import type { Tally } from './tally';

/** One line of the final check. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** Every leader the board ever had, newest first: the database's own epoch history, complete (a status report caps it). */
export function readEpochHistory(path: string): EpochRecord[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare(
        'SELECT epoch, pid, name, started_at AS startedAt, previous_pid AS previousPid, takeover_ms AS takeoverMs FROM _baton_epochs ORDER BY epoch DESC',
      )
      .all() as EpochRecord[];
  } finally {
    db.close();
  }
}

/** Audits the board file; `completions` are the completions the dispatchers reported (a task reported twice counts as claimed twice). */
export function readBoard(path: string, acked: Set<string>, completions: string[]): BoardAudit {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const audit = auditBoard(db, acked);
    const seen = new Set<string>();
    for (const id of completions) {
      if (seen.has(id) && !audit.claimedTwice.includes(id)) audit.claimedTwice.push(id);
      seen.add(id);
    }
    return audit;
  } finally {
    db.close();
  }
}

/** What the run observed, for the checks. */
export interface RunFacts {
  board: BoardAudit;
  tally: Tally;
  holders: HolderSampler;
  /** The board's epoch history at the end of the run. */
  leaders: EpochRecord[];
  inits: InitRun[];
  kills: KillRecord[];
  killsAsked: number;
  totalS: number;
}

/** Every check of the demo, in the order printed. */
export function buildChecks(run: RunFacts): Check[] {
  const { board, tally } = run;
  const unfinished = (board.byStatus.ready ?? 0) + (board.byStatus.running ?? 0) + (board.byStatus.todo ?? 0);
  const lateTasks =
    board.tasks > tally.acked.size
      ? `; ${board.tasks - tally.acked.size} present but never acknowledged (in flight when their creator was killed)`
      : '';
  const failures = [...tally.createFailures, ...tally.errors]
    .slice(0, 3)
    .map((e) => `\n      ${e}`)
    .join('');
  return [
    {
      name: 'tasks lost',
      ok: board.missing.length === 0,
      detail: `${tally.acked.size} acknowledged, ${board.tasks} present, ${board.missing.length} acknowledged but missing (must be 0)${lateTasks}`,
    },
    {
      name: 'claimed twice',
      ok: board.claimedTwice.length === 0,
      detail: `${board.claimedTwice.length} tasks (must be 0)${board.claimedTwice.length > 0 ? `: ${board.claimedTwice.slice(0, 5).join(', ')}` : ''}`,
    },
    {
      name: 'all work finished',
      ok: unfinished === 0,
      detail: `${board.byStatus.done ?? 0} done, ${board.byStatus.blocked ?? 0} blocked after 3 failures, ${unfinished} unfinished (must be 0)`,
    },
    {
      name: 'event log consistent',
      ok: board.createdNotOnce.length === 0 && board.completedMismatch.length === 0,
      detail: `tasks without exactly one "created": ${board.createdNotOnce.length}; without exactly one "completed" per done task: ${board.completedMismatch.length}`,
    },
    { name: 'integrity_check', ok: board.integrity === 'ok', detail: board.integrity },
    holdersCheck(run.holders, run.leaders),
    {
      name: 'kanban init x2',
      ok: run.inits.length === 2 && run.inits.every((i) => i.code === 0),
      detail: run.inits.map((i) => `exit ${i.code} in ${i.ms} ms`).join(', '),
    },
    {
      name: 'failed requests',
      ok: tally.createFailures.length === 0 && tally.errors.length === 0,
      detail: `${tally.createFailures.length} failed creates, ${tally.errors.length} errors reported by gateways${failures}`,
    },
    {
      name: 'leader kills',
      ok: run.kills.length === run.killsAsked,
      detail: `${run.kills.length} of ${run.killsAsked} done`,
    },
    { name: 'within 60 s', ok: run.totalS < 60, detail: `${run.totalS.toFixed(1)} s` },
  ];
}

/** One opener: never more than one holder, one most of the time, and every holder a leader of the epoch history. */
function holdersCheck(holders: HolderSampler, leaders: EpochRecord[]): Check {
  const over1 = [...holders.running, ...holders.closing].filter((n) => n > 1).length;
  const exactly1 = holders.running.filter((n) => n === 1).length;
  const zero = holders.running.filter((n) => n === 0).length;
  const leaderPids = new Set(leaders.map((l) => l.pid));
  const notLeading = [...holders.pids].filter((pid) => !leaderPids.has(pid));
  const samples = holders.running.length;
  return {
    name: 'db holders',
    ok: over1 === 0 && exactly1 > 0 && notLeading.length === 0,
    detail:
      `processes holding kanban.db/-wal/-shm open, sampled every ${SAMPLE_EVERY_MS} ms from /proc/*/fd: 1 at ${exactly1} of ${samples} samples while the fleet ran, ` +
      `0 at ${zero} (a failover in progress), more than 1 at ${over1} of ${samples + holders.closing.length} including the ${holders.closing.length} taken while the fleet closed (must be 0); ` +
      `${holders.pids.size} distinct holders while running, ${notLeading.length} of them not a leader of the epoch history (must be 0)`,
  };
}
