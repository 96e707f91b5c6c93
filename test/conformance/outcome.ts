/**
 * Turns whatever a client call produced (a result set, a value, an error) into plain data that
 * `toEqual` can compare between @libsql/client and Baton. Everything a program could observe is
 * kept: the JS type of every value (a bigint is not a number, an ArrayBuffer is not a
 * Uint8Array, -0 is not 0), the shape of a row (index access, `length`, which keys are
 * enumerable), the result set's fields and its `toJSON()`, and an error's class, name, codes,
 * statement index and message.
 */
import { LibsqlBatchError, LibsqlError } from '@libsql/client';

/** A value as plain, comparable data: `[type, text]` for every JS value a client can hand back. */
export type Described = null | string | [type: string, text: string] | Described[] | { [key: string]: Described };

/** What one step of a scenario came to: its value, or the error it threw or rejected with. */
export type Outcome = { ok: Described } | { error: DescribedError };

/** An error as a program can inspect it. */
export interface DescribedError {
  /** The constructor's name (`LibsqlError`, `LibsqlBatchError`, `RangeError`, `TypeError`). */
  class: string;
  name: string;
  message: string;
  /** `instanceof LibsqlError` (of the one @libsql/core the application imports). */
  libsqlError: boolean;
  /** `instanceof LibsqlBatchError`. */
  batchError: boolean;
  code: Described;
  extendedCode: Described;
  rawCode: Described;
  statementIndex: Described;
}

const hex = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

function isResultSet(value: object): value is {
  columns: unknown;
  columnTypes: unknown;
  rows: unknown[];
  rowsAffected: unknown;
  lastInsertRowid: unknown;
  toJSON?: () => unknown;
} {
  return (
    'columns' in value && 'rows' in value && 'rowsAffected' in value && Array.isArray((value as { rows: unknown }).rows)
  );
}

/** `JSON.stringify` as a program would call it; it throws for a row holding a bigint. */
function jsonOf(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    return `throws ${String(error)}`;
  }
}

/** A row: what index access and `length` give, which own keys exist and which are enumerable. */
function describeRow(row: object): Described {
  const record = row as Record<string | number, unknown>;
  const length = record.length;
  const indexed = typeof length === 'number' ? Array.from({ length }, (_, i) => describe(record[i])) : ['no length'];
  return {
    length: describe(length),
    indexed,
    enumerable: Object.keys(row),
    own: Object.getOwnPropertyNames(row).sort(),
    named: Object.fromEntries(Object.keys(row).map((key) => [key, describe(record[key])])),
    json: jsonOf(row),
  };
}

/** Plain data for any value a client call can resolve with. */
export function describe(value: unknown): Described {
  if (value === null) return null;
  switch (typeof value) {
    case 'undefined':
      return ['undefined', ''];
    case 'number':
      return ['number', Object.is(value, -0) ? '-0' : String(value)];
    case 'bigint':
      return ['bigint', value.toString()];
    case 'string':
      return ['string', value];
    case 'boolean':
      return ['boolean', String(value)];
    case 'object':
      break;
    default:
      // A symbol or a function: no client returns one; its type is enough to tell.
      return [typeof value, ''];
  }
  if (value instanceof ArrayBuffer) return ['ArrayBuffer', hex(new Uint8Array(value))];
  if (value instanceof Uint8Array) return [value.constructor.name === 'Buffer' ? 'Buffer' : 'Uint8Array', hex(value)];
  if (Array.isArray(value)) return value.map(describe);
  if (isResultSet(value)) {
    return {
      columns: describe(value.columns),
      columnTypes: describe(value.columnTypes),
      rows: value.rows.map((row) => (typeof row === 'object' && row !== null ? describeRow(row) : describe(row))),
      rowsAffected: describe(value.rowsAffected),
      lastInsertRowid: describe(value.lastInsertRowid),
      toJSON: typeof value.toJSON === 'function' ? JSON.stringify(value.toJSON()) : 'no toJSON',
    };
  }
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, describe(v)]));
}

/** Plain data for a thrown value. */
export function describeError(error: unknown): DescribedError {
  if (!(error instanceof Error)) {
    return {
      class: typeof error,
      name: '',
      message: String(error),
      libsqlError: false,
      batchError: false,
      code: null,
      extendedCode: null,
      rawCode: null,
      statementIndex: null,
    };
  }
  const fields = error as Error & Partial<Record<'code' | 'extendedCode' | 'rawCode' | 'statementIndex', unknown>>;
  return {
    class: error.constructor.name,
    name: error.name,
    message: error.message,
    libsqlError: error instanceof LibsqlError,
    batchError: error instanceof LibsqlBatchError,
    code: describe(fields.code),
    extendedCode: describe(fields.extendedCode),
    rawCode: describe(fields.rawCode),
    statementIndex: describe(fields.statementIndex),
  };
}

/** Runs `work` and captures what it came to, a synchronous throw included. */
export async function outcomeOf(work: () => unknown): Promise<Outcome> {
  try {
    return { ok: describe(await work()) };
  } catch (error) {
    return { error: describeError(error) };
  }
}
