/**
 * The demo's final read of the board, by an independent reader: a fresh read-only
 * better-sqlite3 connection opened after every gateway has exited, so nothing of Baton stands
 * between the check and the file.
 */
import Database from 'better-sqlite3';
import { auditBoard, type BoardAudit } from '@baton/kanban';
import type { EpochRecord } from '@baton/store';

/** One line of the final check. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
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

/** Every leader the board ever had, newest first: the database's own epoch history, complete (a status report caps it). */
export function readEpochHistory(path: string): EpochRecord[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT epoch, pid, name, started_at AS startedAt, previous_pid AS previousPid, takeover_ms AS takeoverMs FROM _baton_epochs ORDER BY epoch DESC').all() as EpochRecord[];
  } finally {
    db.close();
  }
}

/** Percentile of sorted numbers (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
