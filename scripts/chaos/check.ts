/**
 * The chaos runner's final verdict, taken after every member has stopped: the members' write
 * logs (what was asked for and what was acknowledged) against what the database holds, read
 * by an independent reader, the `sqlite3` command-line shell.
 */
import type { EpochRecord } from '@baton/store';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';

/** One named check of the verdict. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const KIND_CODES = { one: 0, batch: 1, tx: 2, pipe: 3 } as const;
/** What the member knows of one operation's outcome. */
const enum Outcome {
  /** Sent, no answer logged (the member was killed, or closed before the answer). */
  Unknown = 0,
  Acked = 1,
  /** Failed in a way that guarantees nothing was committed. */
  NotApplied = 2,
  /** Failed in a way that leaves it open (TIMEOUT, NO_LEADER, ...). */
  Uncertain = 3,
}

/** Codes after which an operation certainly committed nothing. */
function certainlyNotApplied(code: string, stage: string): boolean {
  if (stage === 'body') return true; // a transaction whose commit was never sent
  const base = code.split('/')[0]!;
  return (
    base.startsWith('SQLITE_') ||
    ['STATEMENT_REFUSED', 'INVALID_ARGUMENT', 'TRANSACTION_ABORTED', 'ROLLED_BACK'].includes(base)
  );
}

/** The operations of one member incarnation, indexed by sequence number. */
class IncarnationLog {
  readonly kind: number[] = [];
  readonly rows: number[] = [];
  readonly outcome: Outcome[] = [];
  readonly present: number[] = [];
}

/** Everything the members logged. */
export class WriteLogs {
  readonly incarnations = new Map<string, IncarnationLog>();
  readonly failures = new Map<string, number>();
  /** Lines that could not be parsed (a torn last line would land here; none is expected). */
  malformedLines = 0;
  /** Failures whose message suggested corruption, reported by the members. */
  readonly alarming: string[] = [];

  /** Reads every `*.log` in `directory`. */
  static async read(directory: string): Promise<WriteLogs> {
    const logs = new WriteLogs();
    for (const file of fs
      .readdirSync(directory)
      .filter((f) => f.endsWith('.log'))
      .sort()) {
      const lines = readline.createInterface({
        input: fs.createReadStream(path.join(directory, file)),
        crlfDelay: Infinity,
      });
      for await (const line of lines) logs.parse(line);
    }
    return logs;
  }

  private parse(line: string): void {
    const parts = line.split(' ');
    const op = parts[1];
    const dot = op?.lastIndexOf('.') ?? -1;
    const seq = dot > 0 ? Number(op!.slice(dot + 1)) : NaN;
    if (!Number.isSafeInteger(seq)) {
      this.malformedLines++;
      return;
    }
    const key = op!.slice(0, dot);
    let log = this.incarnations.get(key);
    if (parts[0] === 'S' && parts.length === 4 && parts[2]! in KIND_CODES) {
      if (log === undefined) this.incarnations.set(key, (log = new IncarnationLog()));
      log.kind[seq] = KIND_CODES[parts[2] as keyof typeof KIND_CODES];
      log.rows[seq] = Number(parts[3]);
      log.outcome[seq] = Outcome.Unknown;
      log.present[seq] = 0;
    } else if (parts[0] === 'A' && parts.length === 2 && log?.rows[seq] !== undefined) {
      log.outcome[seq] = Outcome.Acked;
    } else if (parts[0] === 'F' && parts.length === 4 && log?.rows[seq] !== undefined) {
      const [code, stage] = [parts[2]!, parts[3]!];
      log.outcome[seq] = certainlyNotApplied(code, stage) ? Outcome.NotApplied : Outcome.Uncertain;
      const label = stage === '-' ? code : `${code} (${stage})`;
      this.failures.set(label, (this.failures.get(label) ?? 0) + 1);
      if (/CORRUPT|IOERR|NOTADB/.test(code)) this.alarming.push(line);
    } else {
      this.malformedLines++;
    }
  }
}

/** Runs one statement in the sqlite3 shell and calls `onLine` for each output line. */
export function sqliteLines(database: string, sql: string, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sqlite3', ['-batch', '-bail', '-noheader', '-list', '-separator', '|', database, sql], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = readline.createInterface({ input: child.stdout, crlfDelay: Infinity });
    lines.on('line', onLine);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`sqlite3 exited with ${code}: ${stderr.trim()}`)),
    );
  });
}

/** Runs one statement in the sqlite3 shell and resolves with its output lines. */
export async function sqlite(database: string, sql: string): Promise<string[]> {
  const out: string[] = [];
  await sqliteLines(database, sql, (line) => out.push(line));
  return out;
}

/** A leadership the runner saw a member report. */
export interface ObservedLeader {
  pid: number;
  epoch: number;
  member: string;
}

/** Write counts for the summary. */
export interface WriteTotals {
  opsSent: number;
  opsAcked: number;
  opsUncertainApplied: number;
  opsUncertainNotApplied: number;
  rowsAcked: number;
  rowsInDatabase: number;
  failuresByCode: Record<string, number>;
}

function examples(list: string[], total: number): string {
  return total === 0 ? '' : `${list.slice(0, 5).join(', ')}${total > 5 ? `, ... (${total} in all)` : ''}`;
}

/** Compares the write logs with the rows in the database. */
export async function checkRows(database: string, logs: WriteLogs): Promise<{ checks: Check[]; totals: WriteTotals }> {
  const unrequested: string[] = [];
  let unrequestedCount = 0;
  const duplicated: string[] = [];
  let duplicatedCount = 0;
  let rowsInDatabase = 0;
  await sqliteLines(database, 'SELECT id, count(*) FROM chaos_rows GROUP BY id', (line) => {
    const [id, countText] = line.split('|');
    const count = Number(countText);
    rowsInDatabase += count;
    const parts = (id ?? '').split('.');
    const log = parts.length === 4 ? logs.incarnations.get(`${parts[0]}.${parts[1]}`) : undefined;
    const seq = Number(parts[2]);
    const index = Number(parts[3]);
    const rows = log?.rows[seq];
    if (log === undefined || rows === undefined || !Number.isInteger(index) || index < 0 || index >= rows) {
      unrequestedCount++;
      if (unrequested.length < 5) unrequested.push(id ?? line);
      return;
    }
    if (count > 1) {
      duplicatedCount++;
      if (duplicated.length < 5) duplicated.push(`${id} x${count}`);
    }
    log.present[seq]!++;
  });

  const lost: string[] = [];
  let lostRows = 0;
  const partial: string[] = [];
  let partialCount = 0;
  const appliedAfterFailure: string[] = [];
  let appliedAfterFailureCount = 0;
  const totals: WriteTotals = {
    opsSent: 0,
    opsAcked: 0,
    opsUncertainApplied: 0,
    opsUncertainNotApplied: 0,
    rowsAcked: 0,
    rowsInDatabase,
    failuresByCode: Object.fromEntries(logs.failures),
  };
  for (const [key, log] of logs.incarnations) {
    log.rows.forEach((rows, seq) => {
      const present = log.present[seq]!;
      const outcome = log.outcome[seq]!;
      const op = `${key}.${seq}`;
      totals.opsSent++;
      if (outcome === Outcome.Acked) {
        totals.opsAcked++;
        totals.rowsAcked += rows;
        if (present !== rows) {
          lostRows += rows - present;
          if (lost.length < 5) lost.push(`${op} (${present}/${rows} rows)`);
        }
      } else if (outcome === Outcome.NotApplied) {
        if (present !== 0) {
          appliedAfterFailureCount++;
          if (appliedAfterFailure.length < 5) appliedAfterFailure.push(`${op} (${present}/${rows} rows)`);
        }
      } else if (present !== 0 && present !== rows) {
        partialCount++;
        if (partial.length < 5) partial.push(`${op} (${present}/${rows} rows)`);
      } else if (present === rows) {
        totals.opsUncertainApplied++;
      } else {
        totals.opsUncertainNotApplied++;
      }
    });
  }

  const checks: Check[] = [
    {
      name: 'every acknowledged row is present',
      ok: lostRows === 0,
      detail:
        lostRows === 0
          ? `${totals.rowsAcked} rows of ${totals.opsAcked} acknowledged operations`
          : `${lostRows} acknowledged rows missing: ${examples(lost, lost.length)}`,
    },
    {
      name: 'no row is present twice',
      ok: duplicatedCount === 0,
      detail:
        duplicatedCount === 0
          ? `${rowsInDatabase} rows, all distinct`
          : `${duplicatedCount} ids applied more than once: ${examples(duplicated, duplicatedCount)}`,
    },
    {
      name: 'no row that was never requested',
      ok: unrequestedCount === 0,
      detail: unrequestedCount === 0 ? 'every row matches a logged request' : examples(unrequested, unrequestedCount),
    },
    {
      name: 'no batch or transaction partly applied',
      ok: partialCount === 0,
      detail:
        partialCount === 0
          ? `unanswered operations (member killed or request failed in doubt): ${totals.opsUncertainApplied} applied whole, ${totals.opsUncertainNotApplied} not at all`
          : examples(partial, partialCount),
    },
    {
      name: 'nothing applied that was refused or rolled back',
      ok: appliedAfterFailureCount === 0,
      detail: appliedAfterFailureCount === 0 ? 'none' : examples(appliedAfterFailure, appliedAfterFailureCount),
    },
    {
      name: 'write logs well-formed',
      ok: logs.malformedLines === 0,
      detail:
        logs.malformedLines === 0
          ? `${logs.incarnations.size} member incarnations`
          : `${logs.malformedLines} unparseable lines`,
    },
    {
      name: 'no corruption or I/O error reported to any member',
      ok: logs.alarming.length === 0,
      detail: logs.alarming.length === 0 ? 'none' : logs.alarming.slice(0, 5).join('; '),
    },
  ];
  return { checks, totals };
}

/** Checks the database itself: integrity, schema, epoch history, and the leader record. */
export async function checkDatabase(
  database: string,
  recordPath: string,
  observed: ObservedLeader[],
): Promise<{ checks: Check[]; epochs: EpochRecord[] }> {
  const checks: Check[] = [];
  const integrity = await sqlite(database, 'PRAGMA integrity_check');
  checks.push({
    name: 'PRAGMA integrity_check',
    ok: integrity.length === 1 && integrity[0] === 'ok',
    detail: integrity.slice(0, 5).join('; '),
  });

  const migrations = await sqlite(database, 'SELECT version FROM _baton_migrations ORDER BY version');
  checks.push({
    name: 'schema applied once per version',
    ok: migrations.join(',') === '1,2',
    detail: `versions ${migrations.join(', ')}`,
  });

  const epochs = (
    await sqlite(
      database,
      "SELECT epoch, pid, name, started_at, coalesce(previous_pid, ''), coalesce(takeover_ms, '') FROM _baton_epochs ORDER BY rowid",
    )
  ).map((line): EpochRecord => {
    const [epoch, pid, name, startedAt, previousPid, takeoverMs] = line.split('|');
    return {
      epoch: Number(epoch),
      pid: Number(pid),
      name: name!,
      startedAt: Number(startedAt),
      previousPid: previousPid === '' ? null : Number(previousPid),
      takeoverMs: takeoverMs === '' ? null : Number(takeoverMs),
    };
  });
  const meta = Number((await sqlite(database, "SELECT value FROM _baton_meta WHERE key = 'epoch'"))[0]);
  const problems: string[] = [];
  epochs.forEach((row, i) => {
    if (row.epoch !== i + 1) problems.push(`epoch #${i + 1} is ${row.epoch} (gap or repeat)`);
    const before = epochs[i - 1];
    if (before !== undefined) {
      if (row.startedAt < before.startedAt) problems.push(`epoch ${row.epoch} started before epoch ${before.epoch}`);
      if (row.previousPid !== before.pid)
        problems.push(
          `epoch ${row.epoch} names ${row.previousPid} as previous leader, but epoch ${before.epoch} was pid ${before.pid}`,
        );
    }
  });
  if (meta !== epochs.length) problems.push(`_baton_meta says epoch ${meta}, the history has ${epochs.length}`);
  // The history holds one row per epoch (its primary key), so a repeated epoch can only show
  // in what the members reported: two processes that each said they led the same epoch.
  const leadersOf = new Map<number, Map<number, string>>();
  for (const leader of observed) {
    const pids = leadersOf.get(leader.epoch) ?? new Map<number, string>();
    leadersOf.set(leader.epoch, pids.set(leader.pid, leader.member));
  }
  const byEpoch = new Map(epochs.map((row) => [row.epoch, row]));
  let leaderships = 0;
  for (const [epoch, pids] of leadersOf) {
    leaderships += pids.size;
    if (pids.size > 1)
      problems.push(
        `epoch ${epoch} was led by ${[...pids].map(([pid, member]) => `${member} (pid ${pid})`).join(' and ')}`,
      );
    const row = byEpoch.get(epoch);
    for (const [pid, member] of pids) {
      if (row === undefined || row.pid !== pid)
        problems.push(
          `${member} (pid ${pid}) led epoch ${epoch}, the history says ${row ? `pid ${row.pid}` : 'nothing'}`,
        );
    }
  }
  checks.push({
    name: 'epoch history strictly increasing, no epoch led twice, matching the leaders seen',
    ok: problems.length === 0 && epochs.length > 0,
    detail:
      problems.length === 0
        ? `epochs 1..${epochs.length}, contiguous; ${leaderships} leaderships seen by the runner all recorded, one process per epoch`
        : problems.slice(0, 5).join('; '),
  });

  let record: { pid?: number; epoch?: number } = {};
  try {
    record = JSON.parse(fs.readFileSync(recordPath, 'utf8')) as typeof record;
  } catch (error) {
    record = {};
    checks.push({
      name: 'leader record names the last leader',
      ok: false,
      detail: `unreadable: ${(error as Error).message}`,
    });
  }
  const last = epochs[epochs.length - 1];
  if (record.epoch !== undefined || record.pid !== undefined) {
    const ok = last !== undefined && record.epoch === last.epoch && record.pid === last.pid;
    checks.push({
      name: 'leader record names the last leader',
      ok,
      detail: `record: pid ${record.pid} epoch ${record.epoch}; history: pid ${last?.pid} epoch ${last?.epoch}`,
    });
  }
  return { checks, epochs };
}
