/**
 * The request the leader receives most: `execute` of one statement outside a transaction. The
 * engine thread decodes every request of the fleet, and msgpackr's general decoder (building
 * each nested object key by key) and the check of its shape cost more than half again what
 * reading these bytes directly costs. So this layout is read by hand, into exactly what
 * `checkRequest(decodePayload(payload))` returns for it; any other byte sequence, including
 * every malformed one, returns null and takes the general decoder and its coded errors.
 *
 * The layout, as msgpackr writes it (map16 headers) or another encoder does (fixmap headers):
 *
 *   { t: 'req', id: <uint>, [low: <uint>,] op: { k: 'execute', stmt: { sql: <str>, [args: [...]] } } }
 *
 * Arguments are read when each is nil, an integer (a 64-bit one as a bigint, as the general
 * decoder reads it), a float64 or a string; strings only when ASCII, where every UTF-8 decoder
 * agrees byte for byte. Anything else (a blob, a retry, a transaction id) goes the general way.
 */
import { decodePayload } from './framing';
import type { RequestFrame, SqlValue } from './messages';
import { fixstr } from './msgpack-bytes';
import { checkRequest, type InvalidRequest } from './validate';

/** After the top-level map header: `t: 'req', id: `. */
const TYPE_AND_ID_KEY = Buffer.from([...fixstr('t'), ...fixstr('req'), ...fixstr('id')]);
const LOW_KEY = Buffer.from(fixstr('low'));
/** `op: ` and its map header (two keys) come between these; then `k: 'execute', stmt: `. */
const OP_KEY = Buffer.from(fixstr('op'));
const EXECUTE_AND_STMT_KEY = Buffer.from([...fixstr('k'), ...fixstr('execute'), ...fixstr('stmt')]);
const SQL_KEY = Buffer.from(fixstr('sql'));
const ARGS_KEY = Buffer.from(fixstr('args'));

const FIXMAP = 0x80;
const MAP16 = 0xde;
const FIXARRAY = 0x90;
const ARRAY16 = 0xdc;

/** What a read returns when the bytes there are not what it reads: the caller gives up. */
const UNREAD = Symbol('unread');

/** The payload bytes after the type byte, for the fixed-width argument formats read here. */
const FIXED_WIDTH: Partial<Record<number, number>> = { 0xcb: 8, 0xcf: 8, 0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8 };

/** A cursor over one payload: every read checks its bounds and moves past what it read. */
class Reader {
  private offset = 0;

  constructor(private readonly bytes: Buffer) {}

  get atEnd(): boolean {
    return this.offset === this.bytes.length;
  }

  /** Skips `expected` when the bytes here are exactly it. */
  literal(expected: Buffer): boolean {
    const { bytes, offset } = this;
    if (offset + expected.length > bytes.length) return false;
    for (let i = 0; i < expected.length; i++) if (bytes[offset + i] !== expected[i]) return false;
    this.offset += expected.length;
    return true;
  }

  /** A map header (fixmap or map16): its number of keys, or -1. */
  mapSize(): number {
    return this.size(FIXMAP, MAP16);
  }

  /** An array header (fixarray or array16): its length, or -1. */
  arraySize(): number {
    return this.size(FIXARRAY, ARRAY16);
  }

  /** An unsigned integer of at most 32 bits, or -1. */
  uint(): number {
    const { bytes, offset } = this;
    const type = bytes[offset];
    if (type === undefined) return -1;
    if (type < 0x80) return this.took(1, type);
    if (type === 0xcc && offset + 2 <= bytes.length) return this.took(2, bytes[offset + 1]!);
    if (type === 0xcd && offset + 3 <= bytes.length) return this.took(3, bytes.readUInt16BE(offset + 1));
    if (type === 0xce && offset + 5 <= bytes.length) return this.took(5, bytes.readUInt32BE(offset + 1));
    return -1;
  }

  /** A string of ASCII characters only, or null. */
  ascii(): string | null {
    const { bytes, offset } = this;
    const type = bytes[offset];
    let start: number;
    let length: number;
    if (type === undefined) return null;
    if ((type & 0xe0) === 0xa0) {
      start = offset + 1;
      length = type & 0x1f;
    } else if (type === 0xd9 && offset + 2 <= bytes.length) {
      start = offset + 2;
      length = bytes[offset + 1]!;
    } else if (type === 0xda && offset + 3 <= bytes.length) {
      start = offset + 3;
      length = bytes.readUInt16BE(offset + 1);
    } else if (type === 0xdb && offset + 5 <= bytes.length) {
      start = offset + 5;
      length = bytes.readUInt32BE(offset + 1);
    } else return null;
    const end = start + length;
    if (end > bytes.length) return null;
    for (let i = start; i < end; i++) if (bytes[i]! > 0x7f) return null;
    return this.took(end - offset, bytes.toString('latin1', start, end));
  }

  /** One statement argument: nil, an integer, a float64 other than NaN, or an ASCII string. */
  argument(): SqlValue | typeof UNREAD {
    const { bytes, offset } = this;
    const type = bytes[offset];
    if (type === undefined) return UNREAD;
    if (type < 0x80 || (type >= 0xcc && type <= 0xce)) {
      const number = this.uint();
      return number < 0 ? UNREAD : number;
    }
    if (type >= 0xe0) return this.took(1, type - 0x100); // a negative fixint
    if (type === 0xc0) return this.took(1, null);
    const width = FIXED_WIDTH[type];
    if (width === undefined) return this.ascii() ?? UNREAD;
    if (offset + 1 + width > bytes.length) return UNREAD;
    const at = offset + 1;
    const size = 1 + width;
    switch (type) {
      case 0xcb: {
        const number = bytes.readDoubleBE(at);
        return Number.isNaN(number) ? UNREAD : this.took(size, number); // NaN is not a SQL value
      }
      case 0xcf:
        return this.took(size, bytes.readBigUInt64BE(at));
      case 0xd0:
        return this.took(size, bytes.readInt8(at));
      case 0xd1:
        return this.took(size, bytes.readInt16BE(at));
      case 0xd2:
        return this.took(size, bytes.readInt32BE(at));
      default:
        return this.took(size, bytes.readBigInt64BE(at));
    }
  }

  private size(fixType: number, type16: number): number {
    const { bytes, offset } = this;
    const type = bytes[offset];
    if (type === undefined) return -1;
    if ((type & 0xf0) === fixType) return this.took(1, type & 0x0f);
    if (type !== type16 || offset + 3 > bytes.length) return -1;
    return this.took(3, bytes.readUInt16BE(offset + 1));
  }

  private took<T>(bytes: number, value: T): T {
    this.offset += bytes;
    return value;
  }
}

/**
 * The request in `payload` when it is an `execute` of one statement outside a transaction in
 * the layout above, as `checkRequest(decodePayload(payload))` returns it; otherwise null.
 */
export function decodeExecuteRequest(payload: Buffer): RequestFrame | null {
  const reader = new Reader(payload);
  const topKeys = reader.mapSize();
  if ((topKeys !== 3 && topKeys !== 4) || !reader.literal(TYPE_AND_ID_KEY)) return null;
  const id = reader.uint();
  if (id < 0) return null;
  let low = -1;
  if (topKeys === 4 && (!reader.literal(LOW_KEY) || (low = reader.uint()) < 0)) return null;
  if (!reader.literal(OP_KEY) || reader.mapSize() !== 2 || !reader.literal(EXECUTE_AND_STMT_KEY)) return null;
  const statementKeys = reader.mapSize();
  if ((statementKeys !== 1 && statementKeys !== 2) || !reader.literal(SQL_KEY)) return null;
  const sql = reader.ascii();
  if (sql === null) return null;
  let args: SqlValue[] | undefined;
  if (statementKeys === 2) {
    const count = reader.literal(ARGS_KEY) ? reader.arraySize() : -1;
    if (count < 0) return null;
    args = new Array<SqlValue>(count);
    for (let i = 0; i < count; i++) {
      const value = reader.argument();
      if (value === UNREAD) return null;
      args[i] = value;
    }
  }
  if (!reader.atEnd) return null;
  // Built as checkRequest builds it, so both kinds of request share one object shape.
  const request: RequestFrame = {
    t: 'req',
    id,
    retry: false,
    op: { k: 'execute', stmt: args === undefined ? { sql } : { sql, args } },
  };
  if (low >= 0 && low <= id) request.low = low;
  return request;
}

/**
 * The request frame in `payload`, checked: read by hand when it is the layout above, else by the
 * general decoder and `checkRequest`. Throws what they throw (`PROTOCOL_ERROR`).
 */
export function decodeRequest(payload: Buffer): RequestFrame | InvalidRequest {
  return decodeExecuteRequest(payload) ?? checkRequest(decodePayload(payload));
}
