import { Packr } from 'msgpackr';
import { decodeExecuteRequest, decodeRequest } from '../src/protocol/execute-request';
import { decodePayload, encodeFrame } from '../src/protocol/framing';
import { checkRequest } from '../src/protocol/validate';

/** The payload (no header) a member's encoder writes for `frame`. */
const payloadOf = (frame: unknown): Buffer => encodeFrame(frame).subarray(4);

/** What the general path makes of `payload`: the decoded and checked request, or the error it throws. */
function generally(payload: Buffer): unknown {
  try {
    return checkRequest(decodePayload(payload));
  } catch (error) {
    return error;
  }
}

const execute = (id: number, stmt: unknown, low?: number): unknown =>
  low === undefined ? { t: 'req', id, op: { k: 'execute', stmt } } : { t: 'req', id, low, op: { k: 'execute', stmt } };

// The boundaries of every msgpack form the hand reader takes: positive and negative fixint,
// (u)int8/16/32, int64 and uint64 (bigints), float64; strings at the fixstr, str8 and str16 edges.
const UINTS = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff];
const ARGUMENTS = [
  ...UINTS,
  ...[-1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31)],
  ...[0.5, -1.25, 2 ** 40, Number.MAX_VALUE, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
  ...[0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n],
  null,
  ...['', 'x', 'x'.repeat(31), 'x'.repeat(32), 'y'.repeat(255), 'y'.repeat(256), 'z'.repeat(65536)],
];
const SQL_TEXTS = ['', 'SELECT 1', 'INSERT INTO t (a, b) VALUES (?, ?)', `SELECT '${'q'.repeat(300)}'`];

test('an execute request as members send it is read by hand into what the general decoder and check make of it', () => {
  const frames: unknown[] = [];
  for (const id of UINTS)
    for (const low of [undefined, 0, id, id + 1])
      if (low === undefined || low <= 0xffffffff) frames.push(execute(id, { sql: 'SELECT 1' }, low));
  for (const sql of SQL_TEXTS) frames.push(execute(7, { sql }), execute(7, { sql, args: [] }, 7));
  for (const value of ARGUMENTS) frames.push(execute(9, { sql: 'SELECT ?', args: [value] }, 9));
  frames.push(execute(9, { sql: 'SELECT ?', args: ARGUMENTS }, 9)); // an array16 of arguments
  for (const frame of frames) {
    const payload = payloadOf(frame);
    const byHand = decodeExecuteRequest(payload);
    expect(byHand).not.toBeNull();
    expect(byHand).toEqual(generally(payload));
  }
});

test('the same layout with fixmap headers, as other msgpack encoders write it, is read by hand too', () => {
  const compact = new Packr({ useRecords: false, variableMapSize: true });
  const payload = compact.pack(execute(12, { sql: 'SELECT ?', args: [5, 'five'] }, 11));
  expect(payload[0]).toBe(0x84); // a fixmap of four keys
  expect(decodeExecuteRequest(payload)).toEqual(generally(payload));
  expect(decodeExecuteRequest(payload)).not.toBeNull();
});

test('every other frame is left to the general decoder', () => {
  const others: unknown[] = [
    { t: 'req', id: 1, low: 1, retry: true, op: { k: 'execute', stmt: { sql: 'SELECT 1' } } },
    { t: 'req', id: 1, op: { k: 'execute', stmt: { sql: 'SELECT 1' }, txId: 3 } },
    { t: 'req', id: 1, op: { k: 'batch', stmts: [{ sql: 'SELECT 1' }], mode: 'deferred' } },
    { t: 'req', id: 1, op: { k: 'ping' } },
    { t: 'hello', v: 3, clientId: 'c', pid: 1, name: 'n', migrations: [] },
    { t: 'res', id: 1, ok: null },
    { t: 'req', id: -1, op: { k: 'execute', stmt: { sql: 'SELECT 1' } } },
    { t: 'req', id: 2 ** 40, op: { k: 'execute', stmt: { sql: 'SELECT 1' } } },
    { t: 'req', id: 1, low: -1, op: { k: 'execute', stmt: { sql: 'SELECT 1' } } },
    { t: 'req', id: 1, low: 2 ** 32, op: { k: 'execute', stmt: { sql: 'SELECT 1' } } },
    execute(1, { sql: 'SELECT 1', args: null }),
    execute(1, { sql: 'SELECT :a', args: { a: 1 } }),
    execute(1, { sql: 'SELECT é' }),
    execute(1, { sql: 'SELECT ?', args: ['é'] }),
    execute(1, { sql: 'SELECT ?', args: [new Uint8Array([1, 2])] }),
    execute(1, { sql: 'SELECT ?', args: [true] }),
    execute(1, { sql: 'SELECT ?', args: [Number.NaN] }),
    execute(1, { sql: 'SELECT ?', args: [[1]] }),
    execute(1, { args: [1], sql: 'SELECT ?' }),
    execute(1, { sql: 'SELECT 1', extra: 1 }),
    execute(1, { sql: 42 }),
    { id: 1, t: 'req', op: { k: 'execute', stmt: { sql: 'SELECT 1' } } },
  ];
  for (const frame of others) expect(decodeExecuteRequest(payloadOf(frame))).toBeNull();
  const whole = payloadOf(execute(300, { sql: 'SELECT ?', args: [1, 'x'] }, 300));
  for (let length = 0; length < whole.length; length++)
    expect(decodeExecuteRequest(whole.subarray(0, length))).toBeNull();
  expect(decodeExecuteRequest(Buffer.concat([whole, Buffer.from([0xc0])]))).toBeNull();
});

test('a corrupted request is either left to the general decoder or read exactly as it reads it', () => {
  // A fixed-seed generator: the same corruptions on every run.
  let seed = 0x2545f491;
  const next = (limit: number): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed % limit;
  };
  const valid = [
    payloadOf(execute(300, { sql: 'INSERT INTO t (a, b) VALUES (?, ?)', args: [1, 'x'.repeat(40)] }, 299)),
    payloadOf(execute(70000, { sql: 'SELECT ?', args: [-5, 1.5, null, 2n ** 40n] })),
  ];
  let readByHand = 0;
  for (let round = 0; round < 20_000; round++) {
    const payload = Buffer.from(valid[round % valid.length]!);
    for (let changes = 1 + next(3); changes > 0; changes--) payload[next(payload.length)] = next(256);
    const byHand = decodeExecuteRequest(payload);
    if (byHand === null) continue;
    readByHand++;
    expect(byHand).toEqual(generally(payload));
  }
  // Most single-byte changes land in the arguments' text and keep the layout readable.
  expect(readByHand).toBeGreaterThan(1000);
});

test('decodeRequest reads any request frame: by hand when it can, else as the general path does, with its errors', () => {
  const common = payloadOf(execute(4, { sql: 'SELECT ?', args: [1] }, 4));
  expect(decodeRequest(common)).toEqual(decodeExecuteRequest(common));
  const batch = payloadOf({ t: 'req', id: 5, op: { k: 'batch', stmts: [{ sql: 'SELECT 1' }], mode: 'read' } });
  expect(decodeExecuteRequest(batch)).toBeNull();
  expect(decodeRequest(batch)).toEqual(generally(batch));
  expect(decodeRequest(payloadOf({ t: 'req', id: 6, op: { k: 'nope' } }))).toMatchObject({ t: 'invalid', id: 6 });
  expect(() => decodeRequest(Buffer.from([0xc1]))).toThrow(expect.objectContaining({ code: 'PROTOCOL_ERROR' }));
});
