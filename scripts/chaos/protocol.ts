/**
 * What the chaos runner and its members share: the schema, the member's settings, the IPC
 * messages, and the write log each member keeps.
 *
 * The write log is the member's own record of what it asked for and what it was told. It is a
 * plain text file written with one `writeSync` per line, before a request is sent (`S`) and
 * after its answer (`A`, `F`), so it survives the member's SIGKILL: the kernel has every line
 * the process wrote. The runner compares these logs with what the database holds at the end.
 *
 *   S <op> <kind> <rows>     about to send operation <op>, which inserts <rows> rows
 *   A <op> <ns>              acknowledged (committed); <ns> is process.hrtime.bigint() taken
 *                            after the answer (CLOCK_MONOTONIC: one clock for every process
 *                            on the host, so it orders acknowledgements against reads)
 *   F <op> <code> <stage>    failed with <code>; <stage> is `body` when a transaction failed
 *                            before its commit was sent (so it cannot have committed),
 *                            `commit` when the commit itself failed, `-` otherwise
 *
 * `<op>` is `<slot>.<incarnation>.<seq>`; row `i` of it has id `<op>.<i>`.
 *
 * A reader (a member opened with `reads: 'local'`, never a candidate) keeps a read log,
 * `<slot>.<incarnation>.reads`, one line per read, written after its answer:
 *
 *   R <t0> <g> <m> <L|F>     a read started at <t0> (hrtime, taken before the call) saw
 *                            generation <g> with max(rowid) <m> in chaos_rows (0: none);
 *                            L when this member served it itself, F when it was forwarded
 *   X <t0> <code>            the read failed with <code>
 */

/** The chaos schema. `id` is deliberately not unique: a write applied twice shows up as two rows. */
export const CHAOS_MIGRATIONS = [
  {
    version: 1,
    sql: 'CREATE TABLE IF NOT EXISTS chaos_rows (id TEXT NOT NULL, op TEXT NOT NULL, member TEXT NOT NULL, epoch INTEGER, payload BLOB)',
  },
  { version: 2, sql: 'CREATE INDEX IF NOT EXISTS chaos_rows_by_id ON chaos_rows (id)' },
];

/**
 * Which file the runner created: every database file of a run (the first, and each fresh file
 * it renames into place under the live fleet) holds its generation number here.
 */
export const GENERATION_TABLE = 'CREATE TABLE chaos_generation (n INTEGER NOT NULL)';

/** What a reader asks: which file it read, and the newest row there. */
export const READ_SQL = 'SELECT (SELECT n FROM chaos_generation) AS g, (SELECT max(rowid) FROM chaos_rows) AS m';

/** Inserts one row; `epoch` records which leader applied it. */
export const INSERT_SQL =
  "INSERT INTO chaos_rows (id, op, member, epoch, payload) VALUES (?, ?, ?, (SELECT value FROM _baton_meta WHERE key = 'epoch'), ?)";

/** The kinds of write operation a member logs. */
export type OpKind = 'one' | 'batch' | 'tx' | 'pipe';

/** What a chaos member process is started with (JSON in argv[2]). */
export interface ChaosMemberConfig {
  /**
   * `member` writes until told to close; `reader` reads with `reads: 'local'` until told to
   * close; `init` opens the store with the migrations and closes.
   */
  mode: 'member' | 'reader' | 'init';
  path: string;
  /** The member slot (0..members-1), or the init call's number. */
  slot: number;
  /** How many times this slot has been started. */
  incarnation: number;
  /** Seed of this process's own workload choices. */
  seed: string;
  /** The write log (member mode) or the read log (reader mode). */
  logFile: string;
  /** Concurrent writer loops (member mode). */
  loops: number;
  candidate: boolean;
  /**
   * `local` for readers, and for the Node members of odd slots when readers run: those also
   * read locally after one write in five (unchecked: what they show is that a member that
   * reads locally can lead, and hand over, with one writer).
   */
  reads: 'leader' | 'local';
  requestTimeoutMs: number;
  lock: 'flock' | 'lockfile';
}

/** Runner to member. */
export type ChaosCommand = { cmd: 'burst'; kind: 'batch' | 'tx' | 'pipeline' } | { cmd: 'close' };

/** Member to runner. */
export type ChaosEvent =
  | { ev: 'opened'; pid: number; role: string; epoch: number }
  | { ev: 'role'; role: string; epoch: number }
  | { ev: 'failover'; fromPid: number; toPid: number; epoch: number; ms: number }
  | { ev: 'error'; code: string; message: string }
  | { ev: 'fatal'; code: string; message: string }
  | { ev: 'init'; ok: boolean; schemaVersion?: number; code?: string; message?: string }
  | { ev: 'closed' };

/** The name of the process a config starts: `m3.2` (member), `r8.1` (reader), `init4.1`. */
export function processName(mode: ChaosMemberConfig['mode'], slot: number, incarnation: number): string {
  return `${mode === 'init' ? 'init' : mode === 'reader' ? 'r' : 'm'}${slot}.${incarnation}`;
}
