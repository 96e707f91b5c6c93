import { PROTOCOL_VERSION } from '../src/protocol/messages';
import { checkArgs, checkHello, checkRequest } from '../src/protocol/validate';

const hello = {
  t: 'hello',
  v: PROTOCOL_VERSION,
  clientId: 'c',
  pid: 1,
  name: 'n',
  candidate: true,
  migrations: [{ version: 1, sql: 'CREATE TABLE t (x)' }],
};

test('a well-formed hello passes', () => {
  expect(checkHello({ ...hello, reads: 'local' })).toEqual({ ...hello, reads: 'local' });
});

test('a hello without a read mode, or with one it does not know, reads through the leader (a member that predates local reads)', () => {
  expect(checkHello(hello)).toEqual({ ...hello, reads: 'leader' });
  expect(checkHello({ ...hello, reads: 'elsewhere' })).toEqual({ ...hello, reads: 'leader' });
});

test.each([
  ['another protocol version', { ...hello, v: 1 }],
  ['a missing client id', { ...hello, clientId: '' }],
  ['a migration without SQL', { ...hello, migrations: [{ version: 1 }] }],
  ['not a hello', { t: 'req' }],
  ['not an object', 'hello'],
])('a hello with %s is a PROTOCOL_ERROR', (_what, frame) => {
  expect(() => checkHello(frame)).toThrow(expect.objectContaining({ code: 'PROTOCOL_ERROR' }));
});

test('a request with a readable id but a bad operation is returned as invalid, keeping its id', () => {
  const result = checkRequest({ t: 'req', id: 7, op: { k: 'execute', stmt: { sql: 1 } } });
  expect(result).toMatchObject({ t: 'invalid', id: 7, error: { code: 'PROTOCOL_ERROR' } });
});

test('an operation kind or mode holding a 64-bit integer is an invalid request named in its error, not a failure of the check', () => {
  const refusal = (frame: unknown): { id: number; code: string; message: string } => {
    const result = checkRequest(frame);
    if (result.t !== 'invalid') throw new Error(`expected an invalid request, got ${result.t}`);
    return { id: result.id, code: result.error.code, message: result.error.message };
  };
  expect(refusal({ t: 'req', id: 0, op: { k: { '': 0n } } })).toEqual({
    id: 0,
    code: 'PROTOCOL_ERROR',
    message: 'PROTOCOL_ERROR: unknown operation {"":"0n"}',
  });
  expect(refusal({ t: 'req', id: 1, op: { k: 'batch', stmts: [], mode: 5n } }).message).toBe(
    'PROTOCOL_ERROR: unknown transaction mode "5n"',
  );
  expect(refusal({ t: 'req', id: 2, op: { k: 'x'.repeat(500) } }).message).toBe(
    `PROTOCOL_ERROR: unknown operation "${'x'.repeat(79)}...`,
  );
  expect(() => checkHello({ ...hello, v: 3n })).toThrow(/protocol version "3n" is not supported/);
});

test('a request without a usable id throws', () => {
  expect(() => checkRequest({ t: 'req', id: -1, op: { k: 'ping' } })).toThrow(
    expect.objectContaining({ code: 'PROTOCOL_ERROR' }),
  );
  expect(() => checkRequest({ t: 'req', id: 1.5, op: { k: 'ping' } })).toThrow(
    expect.objectContaining({ code: 'PROTOCOL_ERROR' }),
  );
});

test('every operation kind validates its fields', () => {
  expect(
    checkRequest({ t: 'req', id: 1, op: { k: 'batch', stmts: [{ sql: 'SELECT 1' }], mode: 'read' } }),
  ).toMatchObject({ t: 'req' });
  expect(checkRequest({ t: 'req', id: 1, op: { k: 'batch', stmts: [], mode: 'sideways' } })).toMatchObject({
    t: 'invalid',
  });
  expect(checkRequest({ t: 'req', id: 1, op: { k: 'begin', mode: 'write', timeoutMs: 'soon' } })).toMatchObject({
    t: 'invalid',
  });
  expect(checkRequest({ t: 'req', id: 1, op: { k: 'notify', channel: '' } })).toMatchObject({ t: 'invalid' });
  expect(checkRequest({ t: 'req', id: 1, op: { k: 'commit', txId: 3 } })).toMatchObject({
    t: 'req',
    op: { k: 'commit', txId: 3 },
  });
  expect(checkRequest({ t: 'req', id: 1, op: { k: 'script', sql: 'SELECT 1; SELECT 2', txId: 4 } })).toMatchObject({
    t: 'req',
    op: { k: 'script', txId: 4 },
  });
  expect(checkRequest({ t: 'req', id: 1, op: { k: 'script', sql: 5 } })).toMatchObject({ t: 'invalid' });
  expect(checkRequest({ t: 'req', id: 1, op: { k: 'migrate', stmts: [{ sql: 'CREATE TABLE m (x)' }] } })).toMatchObject(
    { t: 'req', op: { k: 'migrate' } },
  );
  expect(checkRequest({ t: 'req', id: 1, op: { k: 'migrate', stmts: 'CREATE TABLE m (x)' } })).toMatchObject({
    t: 'invalid',
  });
});

test('ids sent as 64-bit integers (read as bigint) are accepted within the safe range', () => {
  expect(checkRequest({ t: 'req', id: 9n, low: 3n, op: { k: 'commit', txId: 2n } })).toMatchObject({
    t: 'req',
    id: 9,
    low: 3,
    op: { txId: 2 },
  });
  expect(() => checkRequest({ t: 'req', id: 2n ** 60n, op: { k: 'ping' } })).toThrow(
    expect.objectContaining({ code: 'PROTOCOL_ERROR' }),
  );
});

test('arguments must be SQL values', () => {
  expect(checkArgs([1, 'a', null, 2n, new Uint8Array(1)], 'PROTOCOL_ERROR')).toHaveLength(5);
  expect(() => checkArgs([Number.NaN], 'INVALID_ARGUMENT')).toThrow(
    expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
  );
  expect(() => checkArgs({ a: [1] }, 'PROTOCOL_ERROR')).toThrow(expect.objectContaining({ code: 'PROTOCOL_ERROR' }));
});
