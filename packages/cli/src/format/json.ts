/**
 * JSON for `--json`. SQLite values do not all have a JSON form: integers beyond 2^53 arrive
 * as bigint and blobs as bytes (an ArrayBuffer, as @libsql/client returns them), so they get an explicit, documented encoding instead of
 * JSON.stringify's TypeError (bigint) or its `{"type":"Buffer","data":[...]}` (Buffer).
 */
import type { SqlValue, Value } from '@baton/store';

/** A JSON-safe value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Converts a SQLite value for JSON: a bigint becomes a number when it is exactly
 * representable, else its decimal string; bytes become `{ "base64": "..." }`.
 */
export function jsonSqlValue(value: SqlValue | Value): JsonValue {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof ArrayBuffer) return { base64: Buffer.from(value).toString('base64') };
  if (value instanceof Uint8Array)
    return { base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  return value;
}

/** JSON.stringify that also accepts bigint and bytes anywhere in `value` (encoded as {@link jsonSqlValue}). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, function replacer(this: unknown, key: string, current: unknown) {
    // Buffer.toJSON runs before the replacer, so look at the raw value on the holder.
    const raw = key === '' ? current : (this as Record<string, unknown>)[key];
    if (typeof raw === 'bigint' || raw instanceof Uint8Array || raw instanceof ArrayBuffer) return jsonSqlValue(raw);
    return current;
  });
}
