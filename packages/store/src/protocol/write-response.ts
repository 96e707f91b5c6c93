/**
 * The response the leader sends most: a write's result without rows (an INSERT, UPDATE or
 * DELETE without RETURNING). Under pipelined load the leader sends hundreds of thousands a
 * second from its engine thread, and msgpackr spends more on this nested object than SQLite
 * spends on the insert it answers. So it is written by hand from a template, byte for byte
 * what `encodeFrame({ t: 'res', id, ok: result })` writes (a test compares them over the
 * ranges), and the general encoder remains for anything else.
 */
import type { WireResultSet } from './messages';
import { fixstr, map16 } from './msgpack-bytes';

/** A write's result without rows, the shape `encodeWriteResponse` writes. */
export interface PlainResult extends WireResultSet {
  lastInsertRowid: bigint;
}

/** True for a write's result without rows: columns and rows empty, an integer last rowid. */
export function isPlainResult(value: unknown): value is PlainResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const result = value as Partial<WireResultSet>;
  return (
    Array.isArray(result.columns) &&
    result.columns.length === 0 &&
    Array.isArray(result.rows) &&
    result.rows.length === 0 &&
    typeof result.rowsAffected === 'number' &&
    typeof result.lastInsertRowid === 'bigint'
  );
}

const EMPTY_ARRAY = 0x90;
/** `{ t: 'res', id: ` (a map of 3). */
const BEFORE_ID = Buffer.from([...map16(3), ...fixstr('t'), ...fixstr('res'), ...fixstr('id')]);
/** `, ok: { columns: [], columnTypes: [], rows: [], rowsAffected: ` (a map of 5). */
const BEFORE_ROWS_AFFECTED = Buffer.from([
  ...fixstr('ok'),
  ...map16(5),
  ...fixstr('columns'),
  EMPTY_ARRAY,
  ...fixstr('columnTypes'),
  EMPTY_ARRAY,
  ...fixstr('rows'),
  EMPTY_ARRAY,
  ...fixstr('rowsAffected'),
]);
/** `, lastInsertRowid: ` and msgpack's int64 type byte (msgpackr writes every bigint SQLite gives so). */
const BEFORE_ROWID = Buffer.from([...fixstr('lastInsertRowid'), 0xd3]);
const HEADER_BYTES = 4;
/** Everything but the two variable-length integers. */
const FIXED_BYTES = HEADER_BYTES + BEFORE_ID.length + BEFORE_ROWS_AFFECTED.length + BEFORE_ROWID.length + 8;

/** The bytes msgpackr takes for the uint32 `value`. */
function uintBytes(value: number): number {
  return value < 0x80 ? 1 : value < 0x100 ? 2 : value < 0x10000 ? 3 : 5;
}

/** Writes `value` (a uint32) as msgpackr writes a number of that range; returns the next offset. */
function writeUint(frame: Buffer, offset: number, value: number): number {
  if (value < 0x80) {
    frame[offset] = value; // positive fixint (msgpackr's range for this value without records)
    return offset + 1;
  }
  if (value < 0x100) {
    frame[offset] = 0xcc;
    frame[offset + 1] = value;
    return offset + 2;
  }
  if (value < 0x10000) {
    frame[offset] = 0xcd;
    frame.writeUInt16BE(value, offset + 1);
    return offset + 3;
  }
  frame[offset] = 0xce;
  frame.writeUInt32BE(value, offset + 1);
  return offset + 5;
}

function isUint32(value: number): boolean {
  return value >>> 0 === value;
}

/**
 * The frame (header and payload) of the response to request `id` with the plain write result
 * `result`, or null when an integer is outside the range written here (the caller then uses
 * the general encoder). `lastInsertRowid` must be a signed 64-bit value, as SQLite's are.
 */
export function encodeWriteResponse(id: number, result: PlainResult): Buffer | null {
  const { rowsAffected, lastInsertRowid } = result;
  if (!isUint32(id) || !isUint32(rowsAffected)) return null;
  const frame = Buffer.allocUnsafe(FIXED_BYTES + uintBytes(id) + uintBytes(rowsAffected));
  frame.writeUInt32BE(frame.length - HEADER_BYTES, 0);
  frame.set(BEFORE_ID, HEADER_BYTES);
  let offset = writeUint(frame, HEADER_BYTES + BEFORE_ID.length, id);
  frame.set(BEFORE_ROWS_AFFECTED, offset);
  offset = writeUint(frame, offset + BEFORE_ROWS_AFFECTED.length, rowsAffected);
  frame.set(BEFORE_ROWID, offset);
  writeInt64(frame, offset + BEFORE_ROWID.length, lastInsertRowid);
  return frame;
}

const TWO_TO_32 = 2 ** 32;

/**
 * Writes the signed 64-bit `value` big-endian. Rowids are safe integers in practice, and for
 * them two 32-bit writes of a number cost less than Node's `writeBigInt64BE`, which does bigint
 * arithmetic for each half (about 1 % of the engine thread under pipelined writes).
 */
function writeInt64(frame: Buffer, offset: number, value: bigint): void {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) {
    frame.writeBigInt64BE(value, offset);
    return;
  }
  // The high word is the floor of the quotient (negative for a negative value) and the low word
  // the value modulo 2^32: together, the two's complement of the whole.
  frame.writeInt32BE(Math.floor(number / TWO_TO_32), offset);
  frame.writeUInt32BE(number >>> 0, offset + 4);
}
