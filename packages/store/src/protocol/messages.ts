/**
 * The frames of Baton's wire protocol (see `docs/protocol.md`). Every frame is a msgpack map
 * with a one-letter-ish tag `t`. Field names are short because they are on the hot path.
 */
import type { WireError } from '../errors';
import type { StoreStatus } from './status';

/**
 * Bumped on any incompatible change; the leader refuses a hello with another version.
 * 2: values keep their storage class (INTEGER as int64), result sets carry `columnTypes`,
 * errors carry libsql's codes and `statementIndex`, the `script` and `migrate` operations.
 * 3: the compact exactly-once record (`_baton_applied` keeps a result without rows as two
 * integers): a leader of version 2 would misread it, so members of version 2 are refused.
 */
export const PROTOCOL_VERSION = 3;

/**
 * How long the leader remembers an applied request (client id, sequence, result) to answer it
 * again when it is re-sent after a failover. A member may not wait longer than this for one
 * request, or a late re-send could be applied twice.
 */
export const APPLIED_RETENTION_MS = 10 * 60 * 1000;

/** The longest an interactive transaction may hold the leader's writer, whatever a member asks. */
export const MAX_TRANSACTION_MS = 60 * 1000;

/**
 * A SQL value as it travels: a `bigint` is an INTEGER, a `number` a REAL (see the encoding in
 * docs/protocol.md), a `Uint8Array` a BLOB.
 */
export type SqlValue = null | number | bigint | string | Uint8Array;

/** Positional (`?`) or named (`:name`, `@name`, `$name`) statement arguments. */
export type SqlArgs = SqlValue[] | Record<string, SqlValue>;

/** One SQL statement with its arguments, as sent to the leader. */
export interface WireStatement {
  sql: string;
  args?: SqlArgs;
}

/** One schema migration: a version number and the SQL that brings the schema to it. */
export interface Migration {
  version: number;
  sql: string;
}

/**
 * How a batch or transaction takes its locks. `write`: runs on the writer (queued with other
 * writes). `read`: a consistent snapshot of the last commit, on the reader, never blocks.
 * `deferred`: `read` when every statement is read-only, `write` otherwise.
 */
export type TransactionMode = 'write' | 'read' | 'deferred';

/** A client's first frame. */
export interface HelloFrame {
  t: 'hello';
  v: number;
  clientId: string;
  pid: number;
  name: string;
  candidate: boolean;
  migrations: Migration[];
  /** Where the member serves its standalone reads (absent: `leader`); shown in status. */
  reads?: 'leader' | 'local';
  /** The member's language (`node`, `python`), shown in status. */
  lang?: string;
  /** The member's Baton version, shown in status. */
  version?: string;
}

/**
 * Which file a path names: its device and inode numbers, as `stat` reports them. Two paths, or a
 * path and an open connection, are on the same file when both numbers are equal.
 */
export interface FileId {
  dev: number;
  ino: number;
}

/** The operations a request can carry. */
export type Operation =
  | { k: 'execute'; stmt: WireStatement; txId?: number }
  | { k: 'batch'; stmts: WireStatement[]; mode: TransactionMode; txId?: number }
  | { k: 'script'; sql: string; txId?: number }
  | { k: 'migrate'; stmts: WireStatement[] }
  | { k: 'begin'; mode: TransactionMode; timeoutMs: number }
  | { k: 'commit'; txId: number }
  | { k: 'rollback'; txId: number }
  | { k: 'notify'; channel: string; payload: unknown }
  | { k: 'status' }
  | { k: 'reset' }
  | { k: 'backup'; dest: string }
  | { k: 'stepdown' }
  | { k: 'ping' };

/**
 * What the leader answers each operation with (the `ok` of its response). The leader's
 * dispatch and the member's `request()` are both typed by it, so the two sides cannot drift.
 */
export interface OperationResults {
  execute: WireResultSet;
  batch: WireResultSet[];
  script: null;
  migrate: WireResultSet[];
  begin: { txId: number };
  commit: null;
  rollback: null;
  notify: null;
  status: StoreStatus;
  reset: null;
  backup: { dest: string; bytes: number };
  stepdown: { pid: number; epoch: number };
  ping: 'pong';
}

/** The result type of one operation. */
export type ResultOf<O extends Operation> = OperationResults[O['k']];

/** A request: `id` is the client's sequence number; with the client id it names the request for exactly-once. */
export interface RequestFrame {
  t: 'req';
  id: number;
  /** Set when the request is re-sent after a failover: the leader then looks it up in the applied-requests table. */
  retry?: boolean;
  /** The client's lowest unsettled request id: it will never re-send anything below, so the leader may forget it. */
  low?: number;
  op: Operation;
}

/** The leader's answer to a hello. */
export interface WelcomeFrame {
  t: 'welcome';
  v: number;
  epoch: number;
  schemaVersion: number;
  leaderPid: number;
  leaderName: string;
  /**
   * The database file this leader opened. A member reading locally reads only this file
   * (absent from leaders that predate local reads: such a member then forwards its reads).
   */
  file?: FileId;
}

/** A result set as it travels: rows are arrays in `columns` order. */
export interface WireResultSet {
  columns: string[];
  /** The declared type of each column (`''` for an expression), as libsql reports them. */
  columnTypes: string[];
  rows: SqlValue[][];
  rowsAffected: number;
  /** The writer's last inserted rowid after a write; null after a read. */
  lastInsertRowid: bigint | null;
}

/** The answer to a request: exactly one of `ok` or `err`. */
export interface ResponseFrame {
  t: 'res';
  id: number;
  ok?: unknown;
  err?: WireError;
}

/** A notification published by a member, delivered after the commit it followed. */
export interface NotifyFrame {
  t: 'notify';
  channel: string;
  payload: unknown;
}

/** The leader is stepping down: members elect again. */
export interface ByeFrame {
  t: 'bye';
  reason: string;
}

/** A fatal refusal of the connection (bad hello, protocol error); the leader closes after it. */
export interface RefuseFrame {
  t: 'refuse';
  err: WireError;
}

/**
 * Who takes over if this leader dies: the pid of the member that should keep a standby engine
 * (0 when no candidate is connected). Sent after the welcome and whenever it changes.
 */
export interface HeirFrame {
  t: 'heir';
  pid: number;
}

/** Frames a client sends. */
export type ClientFrame = HelloFrame | RequestFrame;
/** Frames the leader sends. */
export type LeaderFrame = WelcomeFrame | ResponseFrame | NotifyFrame | HeirFrame | ByeFrame | RefuseFrame;
