/**
 * SQLite's result codes by name, so that a failure reported by better-sqlite3 (which gives the
 * extended code's name, `SQLITE_CONSTRAINT_UNIQUE`) can carry what @libsql/client reports:
 * the primary code's name as `code`, the extended name as `extendedCode` and the number as
 * `rawCode`. Every primary and extended code of the sqlite3.h that better-sqlite3 builds (names
 * without `SQLITE_`); an extended code is its primary code | (n << 8).
 */
const RESULT_CODES: Readonly<Record<string, number>> = {
  OK: 0,
  ERROR: 1,
  INTERNAL: 2,
  PERM: 3,
  ABORT: 4,
  BUSY: 5,
  LOCKED: 6,
  NOMEM: 7,
  READONLY: 8,
  INTERRUPT: 9,
  IOERR: 10,
  CORRUPT: 11,
  NOTFOUND: 12,
  FULL: 13,
  CANTOPEN: 14,
  PROTOCOL: 15,
  EMPTY: 16,
  SCHEMA: 17,
  TOOBIG: 18,
  CONSTRAINT: 19,
  MISMATCH: 20,
  MISUSE: 21,
  NOLFS: 22,
  AUTH: 23,
  FORMAT: 24,
  RANGE: 25,
  NOTADB: 26,
  NOTICE: 27,
  WARNING: 28,
  ERROR_MISSING_COLLSEQ: 257,
  ERROR_RETRY: 513,
  ERROR_SNAPSHOT: 769,
  ERROR_RESERVESIZE: 1025,
  ERROR_KEY: 1281,
  ERROR_UNABLE: 1537,
  IOERR_READ: 266,
  IOERR_SHORT_READ: 522,
  IOERR_WRITE: 778,
  IOERR_FSYNC: 1034,
  IOERR_DIR_FSYNC: 1290,
  IOERR_TRUNCATE: 1546,
  IOERR_FSTAT: 1802,
  IOERR_UNLOCK: 2058,
  IOERR_RDLOCK: 2314,
  IOERR_DELETE: 2570,
  IOERR_BLOCKED: 2826,
  IOERR_NOMEM: 3082,
  IOERR_ACCESS: 3338,
  IOERR_CHECKRESERVEDLOCK: 3594,
  IOERR_LOCK: 3850,
  IOERR_CLOSE: 4106,
  IOERR_DIR_CLOSE: 4362,
  IOERR_SHMOPEN: 4618,
  IOERR_SHMSIZE: 4874,
  IOERR_SHMLOCK: 5130,
  IOERR_SHMMAP: 5386,
  IOERR_SEEK: 5642,
  IOERR_DELETE_NOENT: 5898,
  IOERR_MMAP: 6154,
  IOERR_GETTEMPPATH: 6410,
  IOERR_CONVPATH: 6666,
  IOERR_VNODE: 6922,
  IOERR_AUTH: 7178,
  IOERR_BEGIN_ATOMIC: 7434,
  IOERR_COMMIT_ATOMIC: 7690,
  IOERR_ROLLBACK_ATOMIC: 7946,
  IOERR_DATA: 8202,
  IOERR_CORRUPTFS: 8458,
  IOERR_IN_PAGE: 8714,
  IOERR_BADKEY: 8970,
  IOERR_CODEC: 9226,
  LOCKED_SHAREDCACHE: 262,
  LOCKED_VTAB: 518,
  BUSY_RECOVERY: 261,
  BUSY_SNAPSHOT: 517,
  BUSY_TIMEOUT: 773,
  CANTOPEN_NOTEMPDIR: 270,
  CANTOPEN_ISDIR: 526,
  CANTOPEN_FULLPATH: 782,
  CANTOPEN_CONVPATH: 1038,
  CANTOPEN_DIRTYWAL: 1294,
  CANTOPEN_SYMLINK: 1550,
  CORRUPT_VTAB: 267,
  CORRUPT_SEQUENCE: 523,
  CORRUPT_INDEX: 779,
  READONLY_RECOVERY: 264,
  READONLY_CANTLOCK: 520,
  READONLY_ROLLBACK: 776,
  READONLY_DBMOVED: 1032,
  READONLY_CANTINIT: 1288,
  READONLY_DIRECTORY: 1544,
  ABORT_ROLLBACK: 516,
  CONSTRAINT_CHECK: 275,
  CONSTRAINT_COMMITHOOK: 531,
  CONSTRAINT_FOREIGNKEY: 787,
  CONSTRAINT_FUNCTION: 1043,
  CONSTRAINT_NOTNULL: 1299,
  CONSTRAINT_PRIMARYKEY: 1555,
  CONSTRAINT_TRIGGER: 1811,
  CONSTRAINT_UNIQUE: 2067,
  CONSTRAINT_VTAB: 2323,
  CONSTRAINT_ROWID: 2579,
  CONSTRAINT_PINNED: 2835,
  CONSTRAINT_DATATYPE: 3091,
  NOTICE_RECOVER_WAL: 283,
  NOTICE_RECOVER_ROLLBACK: 539,
  NOTICE_RBU: 795,
  WARNING_AUTOINDEX: 284,
  AUTH_USER: 279,
  OK_LOAD_PERMANENTLY: 256,
  OK_SYMLINK: 512,
};

/** What @libsql/client reports for a SQLite failure. */
export interface SqliteCodes {
  /** The primary result code's name, e.g. `SQLITE_CONSTRAINT` (libsql's `code`). */
  code: `SQLITE_${string}`;
  /** The extended result code's name, e.g. `SQLITE_CONSTRAINT_UNIQUE`. */
  extendedCode: string;
  /** Its number, e.g. 2067. */
  rawCode: number;
}

/** The primary names by number, for `rawCode & 0xff`. */
const PRIMARY_NAMES = new Map(
  Object.entries(RESULT_CODES)
    .filter(([, raw]) => raw < 256)
    .map(([name, raw]): [number, `SQLITE_${string}`] => [raw, `SQLITE_${name}`]),
);

/** better-sqlite3's name for a code its table lacks (a newer SQLite than its names). */
const UNKNOWN = /^UNKNOWN_SQLITE_ERROR_(\d+)$/;

/** The number of the code named `name`, or undefined for a name that is not a SQLite code. */
function rawCodeOf(name: string): number | undefined {
  if (name.startsWith('SQLITE_')) return RESULT_CODES[name.slice('SQLITE_'.length)];
  const unknown = UNKNOWN.exec(name);
  return unknown === null ? undefined : Number(unknown[1]);
}

/**
 * The codes of a failure whose extended code name is `extendedCode`: the primary code is
 * `rawCode & 0xff`, as libsql computes it. A name that is no SQLite code becomes `SQLITE_ERROR`.
 */
export function sqliteCodes(extendedCode: string): SqliteCodes {
  const raw = rawCodeOf(extendedCode);
  if (raw === undefined) return { code: 'SQLITE_ERROR', extendedCode, rawCode: 1 };
  return { code: PRIMARY_NAMES.get(raw & 0xff) ?? 'SQLITE_ERROR', extendedCode, rawCode: raw };
}
