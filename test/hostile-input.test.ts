/**
 * Hostile input on the leader socket: garbage bytes, oversized and truncated frames, wrong
 * protocol versions, well-formed frames with wrong types. Each gets that connection a
 * PROTOCOL_ERROR (or closed); the leader and a member writing meanwhile carry on.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { storePaths } from '@baton/store';
import { killAll, startMember, type Member } from './helpers/fleet';
import { exchange, frame } from './helpers/raw-socket';
import { removeTempDirs, tempDir } from './helpers/temp';
import { PROTOCOL_VERSION } from '@baton/store';

jest.setTimeout(120_000);

let leader: Member;
let writer: Member;
let socketPath: string;

beforeAll(async () => {
  const file = path.join(tempDir(), 'hostile.db');
  socketPath = storePaths(file).socket;
  leader = await startMember({ path: file, name: 'leader' });
  writer = await startMember({ path: file, name: 'writer', candidate: false });
  writer.send({ cmd: 'writeLoop', prefix: 'w' });
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
});

const hello = {
  t: 'hello',
  v: PROTOCOL_VERSION,
  clientId: 'hostile',
  pid: 1,
  name: 'hostile',
  candidate: false,
  migrations: [],
};

function protocolErrorIn(frames: unknown[]): boolean {
  return frames.some((f) => (f as { t?: string; err?: { code?: string } }).err?.code === 'PROTOCOL_ERROR');
}

test('a whole frame of random bytes gets a PROTOCOL_ERROR and the connection closed', async () => {
  // The length prefix names exactly the random bytes that follow, so the leader has the whole
  // frame and must answer it (random bytes are undecodable msgpack, or a value that is no hello).
  const body = randomBytes(4092);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  const { frames, closedByLeader } = await exchange(socketPath, [header, body]);
  expect(closedByLeader).toBe(true);
  expect(protocolErrorIn(frames)).toBe(true);
});

test('a length prefix of 4 GiB is refused without waiting for the body', async () => {
  const { frames, closedByLeader } = await exchange(socketPath, [Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])]);
  expect(closedByLeader).toBe(true);
  expect(protocolErrorIn(frames)).toBe(true);
});

test('a truncated frame followed by hang-up costs the leader nothing', async () => {
  const whole = frame(hello);
  const { closedByLeader } = await exchange(socketPath, [whole.subarray(0, whole.length - 3)], { end: true });
  expect(closedByLeader).toBe(true);
});

test('a wrong protocol version is refused with PROTOCOL_ERROR', async () => {
  const { frames, closedByLeader } = await exchange(socketPath, [frame({ ...hello, v: 99 })]);
  expect(closedByLeader).toBe(true);
  expect(frames).toEqual([
    {
      t: 'refuse',
      err: expect.objectContaining({ code: 'PROTOCOL_ERROR', message: expect.stringMatching(/version 99/) }),
    },
  ]);
});

test('a request before the hello is refused', async () => {
  const { frames, closedByLeader } = await exchange(socketPath, [frame({ t: 'req', id: 1, op: { k: 'ping' } })]);
  expect(closedByLeader).toBe(true);
  expect(protocolErrorIn(frames)).toBe(true);
});

test('a request with wrong types is answered with PROTOCOL_ERROR and the connection stays usable', async () => {
  const { frames } = await exchange(
    socketPath,
    [
      frame(hello),
      frame({ t: 'req', id: 1, op: { k: 'execute', stmt: { sql: 42 } } }),
      frame({ t: 'req', id: 2, op: { k: 'execute', stmt: { sql: 'SELECT ?', args: [{ nested: true }] } } }),
      frame({ t: 'req', id: 3, op: { k: 'explode' } }),
      frame({ t: 'req', id: 4, op: { k: 'execute', stmt: { sql: 'SELECT 7 AS seven' } } }),
    ],
    { responses: 4 },
  );
  const responses = frames.filter((f) => (f as { t: string }).t === 'res') as {
    id: number;
    ok?: unknown;
    err?: { code: string };
  }[];
  expect(responses.map((r) => [r.id, r.err?.code ?? 'ok'])).toEqual([
    [1, 'PROTOCOL_ERROR'],
    [2, 'PROTOCOL_ERROR'],
    [3, 'PROTOCOL_ERROR'],
    [4, 'ok'],
  ]);
  expect(responses[3]!.ok).toMatchObject({ columns: ['seven'], rows: [[7n]] }); // an INTEGER travels as int64
});

test('a frame that is not a request at all closes that connection only', async () => {
  const { frames, closedByLeader } = await exchange(socketPath, [
    frame(hello),
    frame('just a string'),
    frame({ t: 'req', id: 9, op: { k: 'ping' } }),
  ]);
  expect(closedByLeader).toBe(true);
  expect(protocolErrorIn(frames)).toBe(true);
  expect(frames.some((f) => (f as { id?: number }).id === 9)).toBe(false);
});

test('a flood of requests from one client is served without starving the others', async () => {
  const flood = Array.from({ length: 5000 }, (_, i) =>
    frame({ t: 'req', id: i + 1, op: { k: 'execute', stmt: { sql: 'SELECT ? AS n', args: [i] } } }),
  );
  const { frames } = await exchange(socketPath, [frame(hello), Buffer.concat(flood)], { responses: 5000 });
  expect(frames.filter((f) => (f as { t: string }).t === 'res')).toHaveLength(5000);
  const before = writer.acked.size;
  await writer.waitForNext((e) => e.ev === 'acked', 30_000);
  expect(writer.acked.size).toBeGreaterThan(before);
});

test('the leader is still the same process after all of the above', async () => {
  const result = await writer.exec('SELECT 1 AS alive');
  expect(result.ok).toMatchObject({ rows: [{ alive: 1 }] });
  expect(leader.child.exitCode).toBeNull();
});

test('through all of the above the writing member never failed, saw no failover, and the leader reported no error', async () => {
  writer.send({ cmd: 'stopLoop' });
  await writer.waitFor((e) => e.ev === 'writeDone');
  expect(writer.acked.size).toBeGreaterThan(0);
  expect(writer.failed).toEqual([]);
  expect(writer.events.filter((e) => e.ev === 'failover')).toEqual([]);
  expect(leader.events.filter((e) => e.ev === 'error')).toEqual([]);
});
