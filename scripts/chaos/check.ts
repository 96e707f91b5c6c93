/**
 * The chaos runner's final verdict, taken after every member has stopped: the members' write
 * logs (what was asked for and what was acknowledged) against what the database holds, read
 * by an independent reader, the `sqlite3` command-line shell. With `--replace` the database is
 * every generation's file (generations.ts): each acknowledged write must be whole and once in
 * one of them. It may also be in an earlier, replaced file: committed there just before or as
 * the file was replaced, its reply lost with that file's leader (killed, or stepping down on
 * noticing the replacement), so its member re-sent it and the next leader, on the new file,
 * applied it there. Exactly once holds per file, and the replaced file's copy is lost to the
 * replacement with the rest of that file. The copy that counts is the one in the latest file.
 */
import type { EpochRecord } from '@baton/store';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { GenerationFile } from './generations';
import { plural } from './opener-verdict';
import type { PlacedWrite } from './reads-verdict';

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
  /** When the acknowledgement came (hrtime ns). */
  readonly ackNs: bigint[] = [];
  /** The latest generation whose file holds its rows (-1: none found yet). */
  readonly generation: number[] = [];
  /** The largest rowid of its rows there. */
  readonly maxRowid: number[] = [];
  /** Rows of it in earlier generations' files (re-applied after a reply lost with a replaced file). */
  readonly presentEarlier: number[] = [];
}

/** Everything the members logged. */
export class WriteLogs {
  readonly incarnations = new Map<string, IncarnationLog>();
  readonly failures = new Map<string, number>();
  /** Lines that could not be parsed (a torn last line would land here; none is expected). */
  malformedLines = 0;
  /** Failures whose message suggested corruption, reported by the members. */
  readonly alarming: string[] = [];

  /** Every acknowledged write found in a file, with where and when (once `checkRows` has run). */
  placedWrites(): PlacedWrite[] {
    const placed: PlacedWrite[] = [];
    for (const [key, log] of this.incarnations)
      log.outcome.forEach((outcome, seq) => {
        const generation = log.generation[seq]!;
        if (outcome === Outcome.Acked && generation >= 0)
          placed.push({ op: `${key}.${seq}`, ackNs: log.ackNs[seq]!, generation, maxRowid: log.maxRowid[seq]! });
      });
    return placed;
  }

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
      log.generation[seq] = -1;
      log.maxRowid[seq] = 0;
      log.presentEarlier[seq] = 0;
    } else if (parts[0] === 'A' && parts.length === 3 && /^\d+$/.test(parts[2]!) && log?.rows[seq] !== undefined) {
      log.outcome[seq] = Outcome.Acked;
      log.ackNs[seq] = BigInt(parts[2]!);
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
  /** Acknowledged operations found in a file the runner replaced: lost to the replacement, not to Baton. */
  opsAckedInLostFiles: number;
  /**
   * Operations in a replaced file and again in a later one: committed to the replaced file, their
   * reply lost with its leader, re-sent and applied in the next file.
   */
  opsReappliedAfterReplacement: number;
  /** Rows in each generation's file, by generation. */
  rowsByGeneration: number[];
  failuresByCode: Record<string, number>;
}

function examples(list: string[], total: number): string {
  return total === 0 ? '' : `${list.slice(0, 5).join(', ')}${total > 5 ? `, ... (${total} in all)` : ''}`;
}

/**
 * Compares the write logs with the rows in every generation's file (the last one is the file
 * at the database path at the end).
 */
export async function checkRows(
  files: readonly GenerationFile[],
  logs: WriteLogs,
): Promise<{ checks: Check[]; totals: WriteTotals }> {
  const unrequested: string[] = [];
  let unrequestedCount = 0;
  const duplicated: string[] = [];
  let duplicatedCount = 0;
  // Batches or transactions partly applied: in a replaced file (found while placing) or in the last one holding them.
  const partial: string[] = [];
  let partialCount = 0;
  let rowsInDatabase = 0;
  const rowsByGeneration: number[] = [];
  for (const file of files) {
    rowsByGeneration[file.generation] = 0;
    await sqliteLines(file.path, 'SELECT id, count(*), max(rowid) FROM chaos_rows GROUP BY id', (line) => {
      rowsByGeneration[file.generation]! += Number(line.split('|')[1]);
      place(line, file.generation);
    });
  }
  const lastGeneration = files[files.length - 1]?.generation ?? 0;

  function place(line: string, generation: number): void {
    const [id, countText, rowidText] = line.split('|');
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
      if (duplicated.length < 5) duplicated.push(`${id} x${count} in generation ${generation}`);
    }
    const earlier = log.generation[seq]!;
    if (earlier >= 0 && earlier !== generation) {
      // The first of its rows in a later file (files are read in generation order): the copy
      // in the earlier one must have been whole.
      if (log.present[seq]! !== rows) {
        partialCount++;
        if (partial.length < 5)
          partial.push(`${parts.slice(0, 3).join('.')} (${log.present[seq]}/${rows} rows in generation ${earlier})`);
      }
      log.presentEarlier[seq]! += log.present[seq]!;
      log.present[seq] = 0;
      log.maxRowid[seq] = 0;
    }
    log.present[seq]! += count;
    log.generation[seq] = generation;
    log.maxRowid[seq] = Math.max(log.maxRowid[seq]!, Number(rowidText));
  }

  const lost: string[] = [];
  let lostRows = 0;
  const appliedAfterFailure: string[] = [];
  let appliedAfterFailureCount = 0;
  const totals: WriteTotals = {
    opsSent: 0,
    opsAcked: 0,
    opsUncertainApplied: 0,
    opsUncertainNotApplied: 0,
    rowsAcked: 0,
    rowsInDatabase,
    opsAckedInLostFiles: 0,
    opsReappliedAfterReplacement: 0,
    rowsByGeneration,
    failuresByCode: Object.fromEntries(logs.failures),
  };
  for (const [key, log] of logs.incarnations) {
    log.rows.forEach((rows, seq) => {
      const present = log.present[seq]!;
      const outcome = log.outcome[seq]!;
      const op = `${key}.${seq}`;
      totals.opsSent++;
      if (log.presentEarlier[seq]! > 0) totals.opsReappliedAfterReplacement++;
      if (outcome === Outcome.Acked) {
        totals.opsAcked++;
        totals.rowsAcked += rows;
        if (log.generation[seq]! >= 0 && log.generation[seq]! < lastGeneration) totals.opsAckedInLostFiles++;
        if (present < rows) {
          lostRows += rows - present;
          if (lost.length < 5) lost.push(`${op} (${present}/${rows} rows)`);
        }
      } else if (outcome === Outcome.NotApplied) {
        if (present + log.presentEarlier[seq]! !== 0) {
          appliedAfterFailureCount++;
          if (appliedAfterFailure.length < 5) appliedAfterFailure.push(`${op} (${present}/${rows} rows)`);
        }
      } else if (present !== 0 && present < rows) {
        partialCount++;
        if (partial.length < 5) partial.push(`${op} (${present}/${rows} rows)`);
      } else if (present >= rows) {
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
          ? `${totals.rowsAcked} rows of ${totals.opsAcked} acknowledged operations${files.length > 1 ? `, in ${files.length} generations' files` : ''}`
          : `${lostRows} acknowledged rows missing: ${examples(lost, lost.length)}`,
    },
    {
      name: 'no row is present twice',
      ok: duplicatedCount === 0,
      detail:
        duplicatedCount === 0
          ? `${rowsInDatabase} rows, all distinct in each file${files.length > 1 ? `; ${plural(totals.opsReappliedAfterReplacement, 'operation')} committed to a replaced file as it went, their reply lost with its leader, re-sent and applied once in the next file` : ''}`
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

/** A file's epoch history (empty when no leader ever opened it). */
async function epochHistory(database: string): Promise<EpochRecord[]> {
  const opened = await sqlite(database, "SELECT count(*) FROM sqlite_master WHERE name = '_baton_epochs'");
  if (opened[0] !== '1') return [];
  return (
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
}

/** What is wrong with one file's epoch history: gaps, repeats, a broken chain of leaders. */
async function historyProblems(database: string, epochs: readonly EpochRecord[], label: string): Promise<string[]> {
  const problems: string[] = [];
  epochs.forEach((row, i) => {
    if (row.epoch !== i + 1) problems.push(`${label}epoch #${i + 1} is ${row.epoch} (gap or repeat)`);
    const before = epochs[i - 1];
    if (before !== undefined) {
      if (row.startedAt < before.startedAt)
        problems.push(`${label}epoch ${row.epoch} started before epoch ${before.epoch}`);
      if (row.previousPid !== before.pid)
        problems.push(
          `${label}epoch ${row.epoch} names ${row.previousPid} as previous leader, but epoch ${before.epoch} was pid ${before.pid}`,
        );
    }
  });
  if (epochs.length > 0) {
    const meta = Number((await sqlite(database, "SELECT value FROM _baton_meta WHERE key = 'epoch'"))[0]);
    if (meta !== epochs.length)
      problems.push(`${label}_baton_meta says epoch ${meta}, the history has ${epochs.length}`);
  }
  return problems;
}

/**
 * Checks every generation's file: integrity, schema, epoch history (each file's own: a fresh
 * file starts again at epoch 1), and the leader record against the final file. Each leadership
 * the runner saw must be recorded in some file's history under the same pid; as a file's
 * history holds one row per epoch, two processes that said they led one epoch must be in two
 * files.
 */
export async function checkDatabase(
  files: readonly GenerationFile[],
  recordPath: string,
  observed: ObservedLeader[],
): Promise<{ checks: Check[]; epochs: EpochRecord[]; epochsByGeneration: number[]; everyEpoch: EpochRecord[] }> {
  const checks: Check[] = [];
  const several = files.length > 1;
  const label = (file: GenerationFile): string => (several ? `generation ${file.generation}: ` : '');
  const integrity: string[] = [];
  const schema: string[] = [];
  const problems: string[] = [];
  const histories: EpochRecord[][] = [];
  for (const file of files) {
    const result = await sqlite(file.path, 'PRAGMA integrity_check');
    if (result.length !== 1 || result[0] !== 'ok') integrity.push(`${label(file)}${result.slice(0, 5).join('; ')}`);
    const epochs = await epochHistory(file.path);
    histories.push(epochs);
    problems.push(...(await historyProblems(file.path, epochs, label(file))));
    // A file no leader opened has no migrations recorded; the final one was opened.
    if (epochs.length === 0 && file !== files[files.length - 1]) continue;
    const migrations = await sqlite(file.path, 'SELECT version FROM _baton_migrations ORDER BY version');
    if (migrations.join(',') !== '1,2') schema.push(`${label(file)}versions ${migrations.join(', ')}`);
  }
  checks.push({
    name: 'PRAGMA integrity_check',
    ok: integrity.length === 0,
    detail: integrity.length === 0 ? (several ? `ok in all ${files.length} files` : 'ok') : integrity.join('; '),
  });
  checks.push({
    name: 'schema applied once per version',
    ok: schema.length === 0,
    detail: schema.length === 0 ? `versions 1, 2${several ? ' in every file a leader opened' : ''}` : schema.join('; '),
  });

  const recorded = new Set(histories.flatMap((epochs) => epochs.map((row) => `${row.epoch}/${row.pid}`)));
  const leadersOf = new Map<number, Map<number, string>>();
  for (const leader of observed) {
    const pids = leadersOf.get(leader.epoch) ?? new Map<number, string>();
    leadersOf.set(leader.epoch, pids.set(leader.pid, leader.member));
  }
  let leaderships = 0;
  for (const [epoch, pids] of leadersOf) {
    leaderships += pids.size;
    const name = ([pid, member]: [number, string]): string => `${member} (pid ${pid})`;
    const unrecorded = [...pids].filter(([pid]) => !recorded.has(`${epoch}/${pid}`));
    if (unrecorded.length === 0) continue;
    problems.push(
      pids.size > 1
        ? `epoch ${epoch} was led by ${[...pids].map(name).join(' and ')}; no file's history records ${unrecorded.map(name).join(' and ')} in it`
        : `${name(unrecorded[0]!)} led epoch ${epoch}, which no file's history records under that pid`,
    );
  }
  const final = histories[histories.length - 1] ?? [];
  checks.push({
    name: 'epoch history strictly increasing, no epoch led twice, matching the leaders seen',
    ok: problems.length === 0 && final.length > 0,
    detail:
      problems.length === 0
        ? `epochs ${several ? `1..${histories.map((h) => h.length).join(', 1..')} in the ${files.length} files` : `1..${final.length}`}, contiguous; ${leaderships} leaderships seen by the runner all recorded, one process per epoch`
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
  const last = final[final.length - 1];
  if (record.epoch !== undefined || record.pid !== undefined) {
    const ok = last !== undefined && record.epoch === last.epoch && record.pid === last.pid;
    checks.push({
      name: 'leader record names the last leader',
      ok,
      detail: `record: pid ${record.pid} epoch ${record.epoch}; history: pid ${last?.pid} epoch ${last?.epoch}`,
    });
  }
  return { checks, epochs: final, epochsByGeneration: histories.map((h) => h.length), everyEpoch: histories.flat() };
}
