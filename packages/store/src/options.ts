/**
 * `openStore` options: the public shape, the defaults, and validation with precise messages
 * (a misspelt option is named with its likely intended spelling).
 */
import type { IntMode } from '@libsql/core/api';
import * as path from 'node:path';
import { didYouMean } from './did-you-mean';
import { StoreError } from './errors';
import { shown } from './shown-value';
import { DEFAULT_FILE_MODE, FILE_MODES } from './file-modes';
import { APPLIED_RETENTION_MS, MAX_TRANSACTION_MS, type Migration } from './protocol/messages';
import { DEFAULT_MAX_FRAME_BYTES } from './protocol/framing';

/** Options of `openStore`. Only `path` is required. */
export interface StoreOptions {
  /** The database file. Created by the first leader if missing; its directory must exist. */
  path: string;
  /** This member's name in status. Default: basename of the main script, then the pid. */
  name?: string;
  /** May this member host the leader? Default true. A non-candidate only ever forwards. */
  candidate?: boolean;
  /** Schema migrations this member knows; the leader applies the ones the database lacks. */
  migrations?: Migration[];
  /** SQLite durability of the leader's commits: `full` (default, survives power loss) or `normal`. */
  synchronous?: 'full' | 'normal';
  /** How long a request may take, election included, before it fails. Default 30000 ms. */
  requestTimeoutMs?: number;
  /** How long an interactive transaction may stay open before the leader rolls it back. Default 5000 ms, at most 60000. */
  transactionTimeoutMs?: number;
  /**
   * How long one request may keep the leader engine busy before the hosting member stops the
   * engine (see docs/api.md, "Runaway statements"). Default 15000 ms.
   */
  statementTimeoutMs?: number;
  /** Election mechanism: `flock` (default) or `lockfile` (proper-lockfile; for file systems without flock). */
  lock?: 'flock' | 'lockfile';
  /** Largest frame accepted on the socket, in bytes. Default 16 MiB. */
  maxFrameBytes?: number;
  /** How SQLite integers come back, as in @libsql/client: `number` (default; RangeError beyond 2^53), `bigint` or `string`. */
  intMode?: IntMode;
  /**
   * The permissions of every file Baton creates (the database when it does not exist yet, so
   * its -wal and -shm too, the lock file, the leader record, temporary files), whatever the
   * umask: `0o600` (default), or `0o640`/`0o660` to share with the group on purpose.
   */
  fileMode?: number;
  /**
   * Where this member's standalone reads run: `leader` (default: every statement goes to the
   * leader) or `local` (a read-only statement outside a transaction runs here, on a read-only
   * connection of this process; writes, batches and transactions still go to the leader). See
   * docs/api.md, "Local reads". Needs the `flock` election.
   */
  reads?: ReadMode;
}

/** Where a member's standalone reads run: forwarded to the `leader`, or served `local`ly. */
export type ReadMode = 'leader' | 'local';

/** Options with every default filled in. */
export type ResolvedOptions = Required<StoreOptions>;

const KNOWN: (keyof StoreOptions)[] = [
  'path',
  'name',
  'candidate',
  'migrations',
  'synchronous',
  'requestTimeoutMs',
  'transactionTimeoutMs',
  'statementTimeoutMs',
  'lock',
  'maxFrameBytes',
  'intMode',
  'fileMode',
  'reads',
];

function invalid(message: string): never {
  throw new StoreError('INVALID_ARGUMENT', message);
}

function positiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)
    invalid(`Expected the "${name}" option to be a positive integer, got ${shown(value)}`);
  return value;
}

/**
 * `requestTimeoutMs`, at most the leader's retention of applied requests: a request re-sent
 * later than that could no longer be recognised, and would be applied twice.
 */
function boundedTimeout(value: unknown): number {
  return atMost(
    positiveInteger(value, 'requestTimeoutMs', 30_000),
    APPLIED_RETENTION_MS,
    'requestTimeoutMs',
    'the leader remembers applied requests for that long',
  );
}

function atMost(value: number, limit: number, name: string, why: string): number {
  if (value > limit) invalid(`Expected the "${name}" option to be at most ${limit} (${why})`);
  return value;
}

function checkFileMode(value: unknown): number {
  if (value === undefined) return DEFAULT_FILE_MODE;
  if (typeof value === 'number' && FILE_MODES.includes(value)) return value;
  const octal = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
  const given = octal ? `0o${value.toString(8)}` : shown(value);
  // 640 written without its 0o is a decimal number, and a common slip: say so.
  const slip =
    octal && FILE_MODES.includes(parseInt(String(value), 8)) ? ` (${value} is decimal; write 0o${value})` : '';
  invalid(
    `Expected the "fileMode" option to be 0o600, 0o640 or 0o660 (the owner reads and writes, the group may read or read and write, others get nothing), got ${given}${slip}`,
  );
}

function defaultName(): string {
  const script = process.argv[1];
  return `${script ? path.basename(script).replace(/\.[cm]?js$/, '') : 'node'}-${process.pid}`;
}

function checkMigrations(value: unknown): Migration[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) invalid('Expected the "migrations" option to be an array of { version, sql }');
  const seen = new Set<number>();
  return value.map((m: unknown, index) => {
    const { version, sql } = (m ?? {}) as { version?: unknown; sql?: unknown };
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version <= 0)
      invalid(`migrations[${index}].version must be a positive integer`);
    if (typeof sql !== 'string' || sql.trim() === '') invalid(`migrations[${index}].sql must be a non-empty string`);
    if (seen.has(version)) invalid(`migration version ${version} appears twice`);
    seen.add(version);
    return { version, sql };
  });
}

/** Validates `openStore` options and fills in defaults. Throws `INVALID_ARGUMENT` with a precise message. */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    invalid('openStore expects an options object with at least { path }');
  const given = options as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if ((KNOWN as string[]).includes(key)) continue;
    const hint = didYouMean(key, KNOWN);
    invalid(hint !== undefined ? `Misspelled option "${key}" should be "${hint}"` : `Unknown option "${key}"`);
  }
  if (typeof given.path !== 'string' || given.path.length === 0)
    invalid('Expected the "path" option to be the database file path (a non-empty string)');
  if (given.path === ':memory:') invalid('":memory:" cannot be shared between processes; give a file path');
  if (
    given.name !== undefined &&
    (typeof given.name !== 'string' || given.name.length === 0 || given.name.length > 256)
  )
    invalid('Expected the "name" option to be a non-empty string of at most 256 characters');
  if (given.candidate !== undefined && typeof given.candidate !== 'boolean')
    invalid('Expected the "candidate" option to be a boolean');
  if (given.synchronous !== undefined && given.synchronous !== 'full' && given.synchronous !== 'normal')
    invalid('Expected the "synchronous" option to be "full" or "normal"');
  if (given.lock !== undefined && given.lock !== 'flock' && given.lock !== 'lockfile')
    invalid('Expected the "lock" option to be "flock" or "lockfile"');
  if (
    given.intMode !== undefined &&
    given.intMode !== 'number' &&
    given.intMode !== 'bigint' &&
    given.intMode !== 'string'
  )
    invalid('Expected the "intMode" option to be "number", "bigint" or "string"');
  if (given.reads !== undefined && given.reads !== 'leader' && given.reads !== 'local')
    invalid('Expected the "reads" option to be "leader" or "local"');
  // The lease election is for file systems without working flock, which are also those whose
  // locks and shared memory SQLite's WAL cannot rely on across processes: a local reader there
  // could read a torn or stale snapshot. One opener is the only safe way on them.
  if (given.reads === 'local' && given.lock === 'lockfile')
    invalid(
      'reads: "local" needs the flock election: "lockfile" is for file systems where SQLite\'s WAL cannot be shared between processes safely; use reads: "leader" there',
    );
  return {
    path: given.path,
    name: given.name ?? defaultName(),
    candidate: given.candidate ?? true,
    migrations: checkMigrations(given.migrations),
    synchronous: given.synchronous ?? 'full',
    requestTimeoutMs: boundedTimeout(given.requestTimeoutMs),
    transactionTimeoutMs: atMost(
      positiveInteger(given.transactionTimeoutMs, 'transactionTimeoutMs', 5_000),
      MAX_TRANSACTION_MS,
      'transactionTimeoutMs',
      'the leader rolls back any transaction after that long',
    ),
    statementTimeoutMs: positiveInteger(given.statementTimeoutMs, 'statementTimeoutMs', 15_000),
    lock: given.lock ?? 'flock',
    maxFrameBytes: positiveInteger(given.maxFrameBytes, 'maxFrameBytes', DEFAULT_MAX_FRAME_BYTES),
    intMode: given.intMode ?? 'number',
    fileMode: checkFileMode(given.fileMode),
    reads: given.reads ?? 'leader',
  };
}
