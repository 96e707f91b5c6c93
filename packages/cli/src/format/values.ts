/**
 * SQLite values as text, for `baton exec` tables and tab-separated output, and command-line
 * arguments as SQLite values.
 */
import { InvalidArgumentError } from 'commander';
import type { InValue, SqlValue, Value } from '@baton/store';

const BLOB_PREVIEW_BYTES = 32;

/** A value for a table cell: `NULL`, numbers, text as is, blobs as `x'0a1b…'` (first 32 bytes). */
export function displayValue(value: SqlValue | Value | undefined): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof ArrayBuffer || value instanceof Uint8Array) {
    const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : value;
    const hex = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, BLOB_PREVIEW_BYTES)).toString(
      'hex',
    );
    return `x'${hex}${bytes.byteLength > BLOB_PREVIEW_BYTES ? '…' : ''}'`;
  }
  return String(value);
}

/** A value for one tab-separated field: tabs, newlines and backslashes escaped, so one row stays one line. */
export function tsvValue(value: SqlValue | Value | undefined): string {
  return displayValue(value).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/**
 * Parses a `--json-args` argument: a JSON number, string, boolean or null. A JSON integer
 * becomes a bigint, so it is bound as an INTEGER (exactly, beyond 2^53 too); other numbers are
 * bound as REAL, as @libsql/client binds every JavaScript number.
 */
export function parseJsonArg(text: string, position: number): InValue {
  if (/^-?\d+$/.test(text.trim())) return BigInt(text.trim());
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(
      `argument ${position} is not JSON: ${text} (strings need quotes under --json-args, e.g. '"text"')`,
    );
  }
  if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')
    return value;
  throw new InvalidArgumentError(`argument ${position} must be a JSON number, string, boolean or null, got ${text}`);
}
