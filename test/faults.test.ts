/**
 * Faults around many requests in flight at once: the leader killed while one group commit
 * holds hundreds of pipelined requests (before and after its COMMIT), a member killed while
 * hundreds of its requests wait in the leader's queue, a member killed while it holds the write
 * transaction, and a member that never reads its replies (slow consumer). Real processes,
 * real SIGKILL; the sqlite3 CLI reads the file once every member has exited.
 *
 * To make "many requests in one group" certain rather than likely, a member holds the write
 * transaction open while the others pipeline: their writes pile up in the leader's queue (its
 * status says how many), and the commit releases them as one group.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { PROTOCOL_VERSION, type StoreStatus } from '@baton/store';
import type { PipelineOutcome } from './fixtures/member-protocol';
import { killAll, startMember, until, type Member } from './helpers/fleet';
import { decodeFrames, frame } from './helpers/raw-socket';
import { sqliteCli } from './helpers/sqlite-cli';
import { removeSockets, socketOf } from './helpers/sockets';
import { removeTempDirs, tempDir } from './helpers/temp';

jest.setTimeout(120_000);

afterEach(async () => {
  await killAll();
  removeSockets();
  removeTempDirs();
});

async function status(member: Member): Promise<StoreStatus> {
  const result = await member.call((ref) => ({ cmd: 'status', ref }));
  if (result.code !== undefined) throw new Error(`status failed: ${result.code} ${result.message}`);
  return result.ok as StoreStatus;
}

/** Waits until the leader's write queue holds at least `depth` requests. */
async function untilQueued(member: Member, depth: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await status(member)).counters.queueDepth < depth) {
    if (Date.now() > deadline) throw new Error(`the leader's queue never reached ${depth}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function closeAll(members: Member[]): Promise<void> {
  for (const member of members) member.send({ cmd: 'close' });
  await Promise.all(members.map((m) => m.whenExited()));
}

function pipelineOutcome(result: { ok?: unknown; code?: string }): PipelineOutcome {
  if (result.code !== undefined) throw new Error(`pipeline failed: ${result.code}`);
  return result.ok as PipelineOutcome;
}

describe.each([
  ['crash-after-commit', 'committed and never answered: every request is answered from the applied-requests table'],
  ['crash-before-commit', 'executed and not committed: every request is applied once by the next leader'],
])('leader SIGKILLed (%s) while one group commit holds hundreds of pipelined requests', (point, outcome) => {
  test(`the group is ${outcome}; nothing acknowledged is lost, nothing is applied twice`, async () => {
    const file = path.join(tempDir(), 'group.db');
    socketOf(file);
    // The fault hook kills the leader's process at `point` of the group holding the marker.
    const leader = await startMember({ path: file, name: 'leader' }, { BATON_FAULT: `${point}:/*group-fault*/` });
    const holder = await startMember({ path: file, name: 'holder', candidate: false, transactionTimeoutMs: 60_000 });
    const writers = await Promise.all([1, 2, 3].map((i) => startMember({ path: file, name: `w${i}` })));
    expect(leader.events[0]).toMatchObject({ ev: 'opened', role: 'leader' });

    expect((await holder.call((ref) => ({ cmd: 'txBegin', ref, id: 'holder-row' }))).ok).toBe('open');
    // w1's 300 writes queue first, the marker on its first one; then 600 more from w2 and w3.
    const pipelines = [
      writers[0]!.call((ref) => ({
        cmd: 'pipeline',
        ref,
        prefix: 'w1',
        count: 300,
        markerAt: 0,
        marker: '/*group-fault*/',
      })),
    ];
    await untilQueued(holder, 300);
    pipelines.push(
      ...writers.slice(1).map((w, i) => w.call((ref) => ({ cmd: 'pipeline', ref, prefix: `w${i + 2}`, count: 300 }))),
    );
    await untilQueued(holder, 900);

    // The commit frees the writer; the next group takes the head of the queue, marker included.
    const committed = holder.call((ref) => ({ cmd: 'txCommit', ref }));
    await leader.whenExited();
    expect(leader.child.signalCode).toBe('SIGKILL');
    expect((await committed).ok).toBe('committed');
    const outcomes = (await Promise.all(pipelines)).map(pipelineOutcome);
    for (const o of outcomes) {
      expect(o.failed).toEqual([]);
      expect(o.acked).toHaveLength(300);
      // No answer came from the killed leader: every one was answered after the failover.
      expect(new Set(o.acked.map(([, epoch]) => epoch))).toEqual(new Set([2]));
    }
    await closeAll([holder, ...writers]);

    expect(sqliteCli(file, 'PRAGMA integrity_check')).toEqual(['ok']);
    // `id` is not a key: a request applied twice would be two rows with its id.
    expect(sqliteCli(file, "SELECT count(*) FROM rows WHERE id LIKE 'w%'")).toEqual(['900']);
    expect(sqliteCli(file, 'SELECT id FROM rows GROUP BY id HAVING count(*) > 1')).toEqual([]);
    expect(sqliteCli(file, "SELECT count(*) FROM rows WHERE id = 'holder-row'")).toEqual(['1']);
    const byEpoch = new Map(
      sqliteCli(file, "SELECT epoch, count(*) FROM rows WHERE id LIKE 'w%' GROUP BY epoch").map(
        (l) => l.split('|').map(Number) as [number, number],
      ),
    );
    if (point === 'crash-after-commit') {
      // At least w1's 300 were committed by the killed leader (epoch 1) in the group that
      // killed it, and their members were answered by the next leader from its table.
      expect(byEpoch.get(1) ?? 0).toBeGreaterThanOrEqual(300);
      expect((byEpoch.get(1) ?? 0) + (byEpoch.get(2) ?? 0)).toBe(900);
    } else {
      expect([...byEpoch]).toEqual([[2, 900]]);
    }
  });
});

test('a member SIGKILLed with hundreds of requests queued at the leader: the others carry on and lose nothing', async () => {
  const file = path.join(tempDir(), 'victim.db');
  socketOf(file);
  const leader = await startMember({ path: file, name: 'leader' });
  const holder = await startMember({ path: file, name: 'holder', candidate: false, transactionTimeoutMs: 60_000 });
  const victim = await startMember({ path: file, name: 'victim', candidate: false });
  const others = await Promise.all(['o1', 'o2'].map((name) => startMember({ path: file, name })));
  others.forEach((m) => m.send({ cmd: 'writeLoop', prefix: m.name }));
  await until(() => others.every((m) => m.acked.size >= 5), 30_000, 'the others writing');

  expect((await holder.call((ref) => ({ cmd: 'txBegin', ref, id: 'holder-row' }))).ok).toBe('open');
  victim.send({ cmd: 'pipeline', ref: 1, prefix: 'victim', count: 500 }); // never answered: it dies first
  await victim.waitFor((e) => e.ev === 'sent');
  await untilQueued(holder, 502); // the victim's 500 and one write of each other member
  victim.kill('SIGKILL');
  await victim.whenExited();
  // The dead member's writes stay queued behind the transaction; its replies will go nowhere.
  const commit = await holder.call((ref) => ({ cmd: 'txCommit', ref }));
  expect(commit.ok).toBe('committed');

  const ackedAfter = new Map(others.map((m) => [m, m.acked.size]));
  await until(
    () => others.every((m) => m.acked.size >= ackedAfter.get(m)! + 20),
    30_000,
    'the others writing after the kill',
  );
  const view = await status(holder);
  expect(view.leader.pid).toBe(leader.pid);
  expect(view.members.map((m) => m.name).sort()).toEqual(['holder', 'leader', 'o1', 'o2']);
  for (const m of others) m.send({ cmd: 'stopLoop' });
  await Promise.all(others.map((m) => m.waitFor((e) => e.ev === 'writeDone')));
  expect(others.flatMap((m) => m.failed)).toEqual([]);
  expect([leader, holder, ...others].some((m) => m.events.some((e) => e.ev === 'failover'))).toBe(false);
  await closeAll([holder, ...others, leader]);

  expect(sqliteCli(file, 'PRAGMA integrity_check')).toEqual(['ok']);
  const present = new Set(sqliteCli(file, 'SELECT id FROM rows'));
  const lost = others.flatMap((m) => [...m.acked]).filter((id) => !present.has(id));
  expect(lost).toEqual([]);
  // The victim's writes were requested, so each may be there (applied after its death) or not;
  // never twice (`id` is not a key, so twice would be two rows with one id).
  expect(Number(sqliteCli(file, "SELECT count(*) FROM rows WHERE id LIKE 'victim-%'")[0])).toBeLessThanOrEqual(500);
  expect(sqliteCli(file, 'SELECT id FROM rows GROUP BY id HAVING count(*) > 1')).toEqual([]);
});

test('a member SIGKILLed while it holds the write transaction: rolled back at once (not at its timeout), queued writes proceed', async () => {
  const file = path.join(tempDir(), 'holder-killed.db');
  socketOf(file);
  const leader = await startMember({ path: file, name: 'leader' });
  // A transaction timeout far beyond the test's waits: only the holder's death can end it.
  const holder = await startMember({ path: file, name: 'holder', candidate: false, transactionTimeoutMs: 60_000 });
  const writer = await startMember({ path: file, name: 'writer', candidate: false });
  expect((await holder.call((ref) => ({ cmd: 'txBegin', ref, id: 'never-committed' }))).ok).toBe('open');

  const queued = writer.exec("INSERT INTO rows (id, member) VALUES ('queued-behind', 'writer')");
  await untilQueued(writer, 1);
  holder.kill('SIGKILL');
  await holder.whenExited();
  expect((await queued).code).toBeUndefined();

  const seen = await writer.exec("SELECT id FROM rows WHERE id IN ('never-committed', 'queued-behind')");
  expect(seen.ok).toMatchObject({ rows: [{ id: 'queued-behind' }] });
  expect(leader.events.some((e) => e.ev === 'error')).toBe(false);
});

test('a slow consumer that never reads its replies is dropped at the outbound limit; the leader and the others carry on', async () => {
  const file = path.join(tempDir(), 'slow.db');
  const socketPath = socketOf(file);
  const leader = await startMember({ path: file, name: 'leader' });
  const writer = await startMember({ path: file, name: 'writer', candidate: false });
  writer.send({ cmd: 'writeLoop', prefix: 'writer' });
  await until(() => writer.acked.size >= 5, 30_000, 'the writer writing');

  // A raw client says hello, reads the welcome, then stops reading and asks for 40 reads of
  // 4 MB each: 160 MB of replies, well past the leader's 64 MiB outbound limit.
  const slow = net.connect(socketPath);
  slow.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => slow.once('close', () => resolve()));
  const received: Buffer[] = [];
  const hello = {
    t: 'hello',
    v: PROTOCOL_VERSION,
    clientId: 'slow-consumer',
    pid: process.pid,
    name: 'slow-consumer',
    candidate: false,
    migrations: [],
  };
  slow.write(frame(hello));
  await new Promise<void>((resolve) => slow.once('data', () => resolve())); // the welcome
  slow.pause();
  expect((await status(writer)).members.map((m) => m.name)).toContain('slow-consumer');
  const requests = Array.from({ length: 40 }, (_, i) =>
    frame({ t: 'req', id: i + 1, op: { k: 'execute', stmt: { sql: 'SELECT zeroblob(4000000) AS b' } } }),
  );
  slow.write(Buffer.concat(requests));

  // The leader lets it go: it disappears from the members the leader lists.
  const deadline = Date.now() + 30_000;
  for (
    let view = await status(writer);
    view.members.some((m) => m.name === 'slow-consumer');
    view = await status(writer)
  ) {
    if (Date.now() > deadline) throw new Error('the slow consumer was never dropped');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect((await status(writer)).leader.pid).toBe(leader.pid);
  // Reading now drains what the kernel and the leader had buffered, then finds the connection
  // closed: far fewer than the 40 replies, so the leader did not buffer them all.
  slow.on('data', (chunk: Buffer) => received.push(chunk));
  slow.resume();
  await closed;
  const replies = decodeFrames(Buffer.concat(received)).filter((f) => (f as { t?: string }).t === 'res');
  expect(replies.length).toBeLessThan(40);

  const acked = writer.acked.size;
  await until(() => writer.acked.size >= acked + 20, 30_000, 'the writer writing after the drop');
  writer.send({ cmd: 'stopLoop' });
  await writer.waitFor((e) => e.ev === 'writeDone');
  expect(writer.failed).toEqual([]);
  expect(writer.events.some((e) => e.ev === 'failover')).toBe(false);
  expect(leader.child.exitCode).toBeNull();
});

test('the database file deleted under a live fleet: the leader reports it and steps down, the fleet carries on in a fresh file, never malformed', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'deleted.db');
  socketOf(file);
  const fleet = [await startMember({ path: file, name: 'a' })];
  fleet.push(
    await startMember({ path: file, name: 'b' }),
    await startMember({ path: file, name: 'c', candidate: false }),
  );
  const oldLeader = fleet[0]!;
  fleet.forEach((m) => m.send({ cmd: 'writeLoop', prefix: m.name }));
  await until(() => fleet.every((m) => m.acked.size >= 5), 30_000, 'the fleet writing');

  fs.unlinkSync(file); // a maintenance command removes the live database
  const reported = await oldLeader.waitForNext((e) => e.ev === 'error' && e.code === 'LEADER_FAILED', 30_000);
  expect((reported as { message: string }).message).toMatch(/deleted/);
  const ackedAt = new Map(fleet.map((m) => [m, m.acked.size]));
  await until(
    () => fleet.every((m) => m.acked.size >= ackedAt.get(m)! + 5),
    30_000,
    'the fleet writing to the new file',
  );
  for (const m of fleet) m.send({ cmd: 'stopLoop' });
  await Promise.all(fleet.map((m) => m.waitFor((e) => e.ev === 'writeDone')));
  expect(fleet.flatMap((m) => m.failed).filter((f) => /malformed|disk I\/O/i.test(f.message))).toEqual([]);
  await closeAll(fleet);

  // The new file is sound, and the lost file's WAL was moved aside, never replayed into it.
  expect(sqliteCli(file, 'PRAGMA integrity_check')).toEqual(['ok']);
  expect(fs.readdirSync(dir).filter((f) => /-wal\.lost-epoch1-/.test(f))).toHaveLength(1);
});
