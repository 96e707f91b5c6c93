import { decodePayload, encodeFrame } from '../src/protocol/framing';
import { encodeWriteResponse, isPlainResult, type PlainResult } from '../src/protocol/write-response';

const plain = (rowsAffected: number, lastInsertRowid: bigint): PlainResult => ({
  columns: [],
  columnTypes: [],
  rows: [],
  rowsAffected,
  lastInsertRowid,
});

// Each boundary of msgpack's unsigned forms (fixint, uint8, uint16, uint32) and of int64, and
// for rowids those of the 32-bit halves and of JavaScript's safe integers (written two ways).
const UINTS = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff];
const ROWIDS = [
  ...[0n, 1n, 127n, 128n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x100000001n],
  ...[2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n],
].flatMap((rowid) => [rowid, -rowid, -rowid - 1n]);

test("a write's plain response is byte for byte what the general encoder writes, over every integer form", () => {
  for (const id of UINTS)
    for (const rowsAffected of UINTS)
      for (const rowid of ROWIDS) {
        const result = plain(rowsAffected, rowid);
        const byHand = encodeWriteResponse(id, result);
        expect(byHand).not.toBeNull();
        expect(byHand!.equals(encodeFrame({ t: 'res', id, ok: result }))).toBe(true);
      }
});

test('the hand-written response decodes to the same response', () => {
  const result = plain(3, -42n);
  expect(decodePayload(encodeWriteResponse(70000, result)!.subarray(4))).toEqual({ t: 'res', id: 70000, ok: result });
});

test('integers beyond uint32 are left to the general encoder', () => {
  expect(encodeWriteResponse(2 ** 32, plain(1, 1n))).toBeNull();
  expect(encodeWriteResponse(-1, plain(1, 1n))).toBeNull();
  expect(encodeWriteResponse(1, plain(2 ** 32, 1n))).toBeNull();
  expect(encodeWriteResponse(1, plain(1.5, 1n))).toBeNull();
});

test('only a result without columns or rows and with an integer last rowid is plain', () => {
  expect(isPlainResult(plain(1, 1n))).toBe(true);
  expect(isPlainResult({ ...plain(1, 1n), lastInsertRowid: null })).toBe(false);
  expect(isPlainResult({ ...plain(1, 1n), columns: ['id'], columnTypes: ['INTEGER'], rows: [[1n]] })).toBe(false);
  expect(isPlainResult(null)).toBe(false);
  expect(isPlainResult([plain(1, 1n)])).toBe(false);
});
