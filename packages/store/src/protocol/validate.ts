/**
 * Checks that a decoded frame has the shape the protocol promises. The leader runs every
 * frame through here before acting on it, so a client that sends well-formed msgpack with the
 * wrong types gets a coded error instead of reaching SQLite or crashing the engine.
 */
import { StoreError } from '../errors';
import { shown } from '../shown-value';
import {
  PROTOCOL_VERSION,
  type HelloFrame,
  type Migration,
  type Operation,
  type RequestFrame,
  type SqlArgs,
  type SqlValue,
  type TransactionMode,
  type WireStatement,
} from './messages';

/** The most statements one batch may carry. */
export const MAX_BATCH_STATEMENTS = 10_000;

type Plain = Record<string, unknown>;

function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function fail(message: string): never {
  throw new StoreError('PROTOCOL_ERROR', message);
}

/** True when `value` can be bound to a statement as is. */
export function isSqlValue(value: unknown): value is SqlValue {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'bigint' ||
    (typeof value === 'number' && !Number.isNaN(value)) ||
    value instanceof Uint8Array
  );
}

/** Validates statement arguments; `code` says whose fault a bad one is. */
export function checkArgs(args: unknown, code: 'PROTOCOL_ERROR' | 'INVALID_ARGUMENT'): SqlArgs | undefined {
  if (args === undefined || args === null) return undefined;
  if (Array.isArray(args)) {
    for (let index = 0; index < args.length; index++) {
      if (!isSqlValue(args[index]))
        throw new StoreError(
          code,
          `argument ${index + 1} is not a SQL value (null, number, bigint, string, Uint8Array)`,
        );
    }
    return args as SqlValue[];
  }
  if (isPlainObject(args)) {
    for (const [name, value] of Object.entries(args)) {
      if (!isSqlValue(value))
        throw new StoreError(code, `argument "${name}" is not a SQL value (null, number, bigint, string, Uint8Array)`);
    }
    return args as Record<string, SqlValue>;
  }
  throw new StoreError(code, 'args must be an array or an object of named values');
}

function checkStatement(value: unknown): WireStatement {
  if (!isPlainObject(value) || typeof value.sql !== 'string') fail('a statement must be { sql: string, args? }');
  const args = checkArgs(value.args, 'PROTOCOL_ERROR');
  return args === undefined ? { sql: value.sql } : { sql: value.sql, args };
}

function checkStatements(value: unknown): WireStatement[] {
  if (!Array.isArray(value)) fail('a batch needs an array "stmts"');
  if (value.length > MAX_BATCH_STATEMENTS) fail(`a batch may hold at most ${MAX_BATCH_STATEMENTS} statements`);
  return value.map(checkStatement);
}

function checkMode(value: unknown): TransactionMode {
  if (value === 'write' || value === 'read' || value === 'deferred') return value;
  return fail(`unknown transaction mode ${shown(value)}`);
}

/** A non-negative safe integer, as any msgpack int format (a member may send int64/uint64, read as bigint). */
function checkId(value: unknown, what: string): number {
  const id =
    typeof value === 'bigint' && value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) fail(`${what} must be a non-negative integer`);
  return id;
}

/** The transaction an operation runs in, if it names one. */
function optionalTxId(value: unknown): number | undefined {
  return value === undefined || value === null ? undefined : checkId(value, 'txId');
}

/**
 * `operation` with `txId` when there is one. Outside a transaction (nearly every request) the
 * operation is returned as built: spreading a fresh `{}` into every one cost more than the rest
 * of the check.
 */
function inTransaction<T extends Operation>(operation: T, txId: number | undefined): T & { txId?: number } {
  if (txId !== undefined) return { ...operation, txId };
  return operation;
}

function checkOperation(value: unknown): Operation {
  if (!isPlainObject(value)) fail('a request needs an operation object "op"');
  switch (value.k) {
    case 'execute':
      return inTransaction({ k: 'execute', stmt: checkStatement(value.stmt) }, optionalTxId(value.txId));
    case 'batch':
      return inTransaction(
        { k: 'batch', stmts: checkStatements(value.stmts), mode: checkMode(value.mode) },
        optionalTxId(value.txId),
      );
    case 'script':
      if (typeof value.sql !== 'string') fail('script needs the SQL text "sql"');
      return inTransaction({ k: 'script', sql: value.sql }, optionalTxId(value.txId));
    case 'migrate':
      return { k: 'migrate', stmts: checkStatements(value.stmts) };
    case 'begin': {
      const timeoutMs = checkId(value.timeoutMs, 'timeoutMs');
      return { k: 'begin', mode: checkMode(value.mode), timeoutMs };
    }
    case 'commit':
    case 'rollback':
      return { k: value.k, txId: checkId(value.txId, 'txId') };
    case 'notify':
      if (typeof value.channel !== 'string' || value.channel.length === 0)
        fail('notify needs a non-empty string "channel"');
      return { k: 'notify', channel: value.channel, payload: value.payload };
    case 'backup':
      if (typeof value.dest !== 'string' || value.dest.length === 0) fail('backup needs a destination path "dest"');
      return { k: 'backup', dest: value.dest };
    case 'status':
    case 'reset':
    case 'stepdown':
    case 'ping':
      return { k: value.k };
    default:
      return fail(`unknown operation ${shown(value.k)}`);
  }
}

/** `{ [name]: value }` for a short string (informational hello fields), else nothing. */
function optionalLabel<K extends string>(name: K, value: unknown): Partial<Record<K, string>> {
  return typeof value === 'string' && value.length > 0 && value.length <= 64
    ? ({ [name]: value } as Partial<Record<K, string>>)
    : {};
}

/** Validates a hello frame, including its protocol version. */
export function checkHello(value: unknown): HelloFrame {
  if (!isPlainObject(value) || value.t !== 'hello') fail('the first frame must be a hello');
  if (value.v !== PROTOCOL_VERSION)
    fail(`protocol version ${shown(value.v)} is not supported (leader speaks ${PROTOCOL_VERSION})`);
  if (typeof value.clientId !== 'string' || value.clientId.length === 0 || value.clientId.length > 128)
    fail('hello needs a clientId string');
  if (typeof value.name !== 'string' || value.name.length > 256) fail('hello needs a name string');
  const pid = checkId(value.pid, 'pid');
  if (!Array.isArray(value.migrations)) fail('hello needs a migrations array');
  const migrations = value.migrations.map((m: unknown): Migration => {
    if (!isPlainObject(m) || typeof m.sql !== 'string') fail('a migration must be { version, sql }');
    return { version: checkId(m.version, 'migration version'), sql: m.sql };
  });
  return {
    t: 'hello',
    v: PROTOCOL_VERSION,
    clientId: value.clientId,
    pid,
    name: value.name,
    candidate: value.candidate === true,
    migrations,
    reads: value.reads === 'local' ? 'local' : 'leader',
    ...optionalLabel('lang', value.lang),
    ...optionalLabel('version', value.version),
  };
}

/** A request whose id could be read but whose operation is malformed: answered, not executed. */
export interface InvalidRequest {
  t: 'invalid';
  id: number;
  error: StoreError;
}

/**
 * Validates a request frame. Throws `PROTOCOL_ERROR` when not even the id can be read (the
 * connection is then closed); a readable id with a bad operation comes back as an
 * `InvalidRequest`, so the leader can answer that request and keep the connection.
 */
export function checkRequest(value: unknown): RequestFrame | InvalidRequest {
  if (!isPlainObject(value) || value.t !== 'req') fail('expected a request frame');
  const id = checkId(value.id, 'request id');
  try {
    const givenLow = typeof value.low === 'bigint' && value.low <= BigInt(id) ? Number(value.low) : value.low;
    const low =
      typeof givenLow === 'number' && Number.isSafeInteger(givenLow) && givenLow >= 0 && givenLow <= id
        ? givenLow
        : undefined;
    const request: RequestFrame = { t: 'req', id, retry: value.retry === true, op: checkOperation(value.op) };
    if (low !== undefined) request.low = low;
    return request;
  } catch (error) {
    if (error instanceof StoreError) return { t: 'invalid', id, error };
    throw error;
  }
}
