/**
 * Multi-process failover: real forked members, real SIGKILL of the leader, then an independent
 * reader (better-sqlite3, after every member has exited) checks what the database holds.
 */
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { killAll, leaderOf, startMember, until, type Member } from './helpers/fleet';
import { OpenerTracker, stopTrackers } from './helpers/opener-tracker';
import { databaseFiles, pidsHoldingOpen } from './helpers/proc';
import { removeTempDirs, tempDir } from './helpers/temp';

jest.setTimeout(120_000);

afterEach(async () => {
  await killAll();
  await stopTrackers();
  removeTempDirs();
});

async function startFleet(file: string, size: number): Promise<Member[]> {
  const members: Member[] = [];
  // The first one becomes the leader; start the rest together.
  members.push(await startMember({ path: file, name: 'm0' }));
  members.push(
    ...(await Promise.all(Array.from({ length: size - 1 }, (_, i) => startMember({ path: file, name: `m${i + 1}` })))),
  );
  return members;
}

/** What the file holds: every id, the ids present more than once (`id` is not a key), integrity. */
function readAll(file: string): {
  ids: string[];
  twice: { id: string; n: number }[];
  leaders: number[];
  integrity: string;
} {
  const db = new Database(file, { readonly: true });
  try {
    const ids = (db.prepare('SELECT id FROM rows').all() as { id: string }[]).map((r) => r.id);
    const twice = db.prepare('SELECT id, count(*) AS n FROM rows GROUP BY id HAVING count(*) > 1').all() as {
      id: string;
      n: number;
    }[];
    const leaders = (db.prepare('SELECT pid FROM _baton_epochs ORDER BY epoch').all() as { pid: number }[]).map(
      (r) => r.pid,
    );
    const integrity = (db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check;
    return { ids, twice, leaders, integrity };
  } finally {
    db.close();
  }
}

test('7 members writing lose no acknowledged row when the leader is SIGKILLed twice, and never two hold the files', async () => {
  const file = path.join(tempDir(), 'fleet.db');
  const tracker = await OpenerTracker.start(file);
  const members = await startFleet(file, 7);
  members.forEach((m) => m.send({ cmd: 'writeLoop', prefix: m.name }));
  await until(() => members.every((m) => m.acked.size >= 20), 30_000, 'every member to have 20 acknowledged writes');

  const killed: Member[] = [];
  for (let round = 0; round < 2; round++) {
    const victim = leaderOf(members.filter((m) => !killed.includes(m)));
    const survivors = members.filter((m) => m !== victim && !killed.includes(m));
    const ackedBefore = new Map(survivors.map((m) => [m, m.acked.size]));
    // Listening before the kill: a failover reported before we listened would be missed.
    const failedOver = Promise.all(
      survivors.map((m) => m.waitForNext((e) => e.ev === 'failover' && e.fromPid === victim.pid, 30_000)),
    );
    victim.kill('SIGKILL');
    killed.push(victim);
    await victim.whenExited();
    // Every survivor reaches the new leader and keeps writing.
    await failedOver;
    await until(
      () => survivors.every((m) => m.acked.size >= ackedBefore.get(m)! + 10),
      30_000,
      'survivors to write again after failover',
    );
    expect(() => leaderOf(survivors)).not.toThrow();
  }

  const survivors = members.filter((m) => !killed.includes(m));
  survivors.forEach((m) => m.send({ cmd: 'stopLoop' }));
  await Promise.all(survivors.map((m) => m.waitFor((e) => e.ev === 'writeDone')));
  for (const m of survivors) m.send({ cmd: 'close' });
  await Promise.all(survivors.map((m) => m.whenExited()));
  await tracker.stop();
  expect(tracker.overlaps()).toEqual([]); // through both kills and the closing hand-overs, at no instant two holders

  const acked = members.flatMap((m) => [...m.acked]);
  const { ids, twice, leaders, integrity } = readAll(file);
  expect(new Set(tracker.openers())).toEqual(new Set(leaders)); // only leaders ever opened the files
  expect(leaders.length).toBeGreaterThanOrEqual(3);
  expect(integrity).toBe('ok');
  expect(twice).toEqual([]); // nothing applied twice
  const present = new Set(ids);
  expect(acked.filter((id) => !present.has(id))).toEqual([]); // nothing acknowledged was lost
  // Survivors never saw a failed write: requests in flight during the failovers were re-sent.
  expect(survivors.flatMap((m) => m.failed)).toEqual([]);
});

test('while 7 members run, exactly one process has the database, -wal or -shm open', async () => {
  const file = path.join(tempDir(), 'lsof.db');
  const tracker = await OpenerTracker.start(file);
  const members = await startFleet(file, 7);
  members.forEach((m) => m.send({ cmd: 'write', prefix: m.name, count: 50 }));
  const leader = leaderOf(members);
  const samples: number[][] = [];
  while (!members.every((m) => m.events.some((e) => e.ev === 'writeDone'))) {
    samples.push(pidsHoldingOpen(databaseFiles(file)));
    await new Promise((resolve) => setImmediate(resolve));
  }
  samples.push(pidsHoldingOpen(databaseFiles(file)));
  expect(samples.length).toBeGreaterThan(1);
  for (const holders of samples) expect(holders).toEqual([leader.pid]);
  // What the samples could miss between two reads: every open, from the first member's start.
  await tracker.stop();
  expect(tracker.overlaps()).toEqual([]);
  expect(tracker.openers()).toEqual([leader.pid]);
});

test('a leader killed after COMMIT and before replying: the retry returns the original result and the row exists once', async () => {
  const file = path.join(tempDir(), 'exactly-once.db');
  // The fault hook SIGKILLs whichever process hosts the leader right after committing a
  // statement that carries the marker, before any reply is sent.
  const env = { BATON_FAULT: 'crash-after-commit:/*fault*/' };
  const first = await startMember({ path: file, name: 'first' }, env);
  const writer = await startMember({ path: file, name: 'writer', candidate: false });
  const standby = await startMember({ path: file, name: 'standby' });
  expect(first.events.find((e) => e.ev === 'opened')).toMatchObject({ role: 'leader' });

  const result = await writer.exec(
    "INSERT INTO rows (id, member) VALUES ('once', 'writer') /*fault*/ RETURNING id, member",
  );
  await first.whenExited();
  expect(result.code).toBeUndefined();
  expect(result.ok).toMatchObject({ rows: [{ id: 'once', member: 'writer' }], rowsAffected: 1 });
  // The answer came from the new leader, which found the write in its applied-requests table.
  expect(writer.events.some((e) => e.ev === 'failover' && e.fromPid === first.pid && e.toPid === standby.pid)).toBe(
    true,
  );
  const count = await writer.exec("SELECT count(*) AS n FROM rows WHERE id = 'once'");
  expect(count.ok).toMatchObject({ rows: [{ n: 1 }] });
});

test('a leader killed before COMMIT: the re-sent write is applied once by the next leader', async () => {
  const file = path.join(tempDir(), 'before-commit.db');
  const env = { BATON_FAULT: 'crash-before-commit:/*fault*/' };
  const first = await startMember({ path: file, name: 'first' }, env);
  const writer = await startMember({ path: file, name: 'writer', candidate: false });
  await startMember({ path: file, name: 'standby' });
  const result = await writer.exec("INSERT INTO rows (id, member) VALUES ('pending', 'writer') /*fault*/");
  await first.whenExited();
  expect(result.ok).toMatchObject({ rowsAffected: 1 });
  const count = await writer.exec("SELECT count(*) AS n FROM rows WHERE id = 'pending'");
  expect(count.ok).toMatchObject({ rows: [{ n: 1 }] });
});

test('a transaction open when its leader dies is rolled back: commit rejects with TRANSACTION_ABORTED and nothing is visible', async () => {
  const file = path.join(tempDir(), 'tx-failover.db');
  const leader = await startMember({ path: file, name: 'leader' });
  const holder = await startMember({ path: file, name: 'holder', candidate: false });
  const standby = await startMember({ path: file, name: 'standby' });
  const opened = await holder.call((ref) => ({ cmd: 'txBegin', ref, id: 'half-done' }));
  expect(opened.ok).toBe('open');
  leader.kill('SIGKILL');
  await holder.waitFor((e) => e.ev === 'failover', 30_000);
  const commit = await holder.call((ref) => ({ cmd: 'txCommit', ref }));
  expect(commit.code).toBe('TRANSACTION_ABORTED');
  const seen = await standby.exec("SELECT count(*) AS n FROM rows WHERE id = 'half-done'");
  expect(seen.ok).toMatchObject({ rows: [{ n: 0 }] });
});
