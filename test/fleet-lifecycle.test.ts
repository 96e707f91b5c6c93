/**
 * Fleet lifecycle under load: a blocked host program, a rolling restart, a requested
 * step-down, and the database file replaced under a live fleet.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { killAll, startMember, until, type Member } from './helpers/fleet';
import { removeTempDirs, tempDir } from './helpers/temp';

jest.setTimeout(120_000);

afterEach(async () => {
  await killAll();
  removeTempDirs();
});

function isLeader(member: Member): boolean {
  const roles = member.events.filter((e) => e.ev === 'opened' || e.ev === 'role');
  const last = roles[roles.length - 1];
  return last !== undefined && 'role' in last && last.role === 'leader';
}

async function stopWriting(members: Member[]): Promise<void> {
  for (const m of members) m.send({ cmd: 'stopLoop' });
  await Promise.all(members.map((m) => m.waitFor((e) => e.ev === 'writeDone')));
}

test('a leader whose host program blocks its main thread keeps serving the other members', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'busy.db');
  const host = await startMember({ path: file, name: 'host' });
  const other = await startMember({ path: file, name: 'other' });
  expect(isLeader(host)).toBe(true);
  other.send({ cmd: 'writeLoop', prefix: 'other' });
  await until(() => other.acked.size >= 5, 30_000, 'the other member writing');

  // The host blocks its main thread until we release it: every acknowledgement counted in
  // between was served while it was certainly blocked.
  const startedFile = path.join(dir, 'busy-started');
  const releaseFile = path.join(dir, 'busy-release');
  host.send({ cmd: 'busy', startedFile, releaseFile });
  await until(() => fs.existsSync(startedFile), 30_000, 'the host to block its main thread');
  const ackedWhenBlocked = other.acked.size;
  await until(
    () => other.acked.size >= ackedWhenBlocked + 5,
    30_000,
    'the other member writing while the host is blocked',
  );
  fs.writeFileSync(releaseFile, '');
  await host.waitFor((e) => e.ev === 'busyDone', 30_000);
  expect(other.failed).toEqual([]);
  await stopWriting([other]);
});

test('a rolling restart of every member fails no request', async () => {
  const file = path.join(tempDir(), 'rolling.db');
  let fleet = [await startMember({ path: file, name: 'r0' })];
  fleet.push(await startMember({ path: file, name: 'r1' }), await startMember({ path: file, name: 'r2' }));
  fleet.forEach((m) => m.send({ cmd: 'writeLoop', prefix: m.name }));
  const everyone: Member[] = [...fleet];

  for (let generation = 1; generation <= 2; generation++) {
    for (let slot = 0; slot < fleet.length; slot++) {
      const old = fleet[slot]!;
      await until(() => old.acked.size >= 5, 30_000, `${old.name} writing`);
      old.send({ cmd: 'close' });
      await old.waitFor((e) => e.ev === 'closed', 30_000);
      await old.whenExited();
      const replacement = await startMember({ path: file, name: `r${slot}-g${generation}` });
      replacement.send({ cmd: 'writeLoop', prefix: replacement.name });
      everyone.push(replacement);
      fleet = fleet.map((m) => (m === old ? replacement : m));
    }
  }
  await until(() => fleet.every((m) => m.acked.size >= 5), 30_000, 'the last generation writing');
  await stopWriting(fleet);

  expect(everyone.flatMap((m) => m.failed)).toEqual([]);
  const leaders = fleet.filter(isLeader);
  expect(leaders).toHaveLength(1);
  const count = await fleet[0]!.exec('SELECT count(*) AS n FROM rows');
  const acked = everyone.reduce((sum, m) => sum + m.acked.size, 0);
  expect(count.ok).toMatchObject({ rows: [{ n: acked }] });
});

test('a requested step-down hands leadership to another candidate without failing a request', async () => {
  const file = path.join(tempDir(), 'step-down.db');
  const first = await startMember({ path: file, name: 'first' });
  const second = await startMember({ path: file, name: 'second' });
  const observer = await startMember({ path: file, name: 'observer', candidate: false });
  [first, second, observer].forEach((m) => m.send({ cmd: 'writeLoop', prefix: m.name }));
  await until(() => observer.acked.size >= 5, 30_000, 'the fleet writing');

  const stepped = await observer.exec('SELECT 1'); // a round trip, so the next command follows real traffic
  expect(stepped.code).toBeUndefined();
  observer.send({ cmd: 'stepDown' });
  const failover = await observer.waitForNext((e) => e.ev === 'failover', 30_000);
  expect(failover).toMatchObject({ fromPid: first.pid, toPid: second.pid });
  await second.waitFor((e) => e.ev === 'role' && e.role === 'leader', 30_000);
  const acked = observer.acked.size;
  await until(() => observer.acked.size >= acked + 5, 30_000, 'writes after the handover');
  await stopWriting([first, second, observer]);
  expect([first, second, observer].flatMap((m) => m.failed)).toEqual([]);
});

test('the database file replaced under a live fleet: the old leader steps down and the fleet carries on, never malformed', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'replaced.db');
  const fleet = [await startMember({ path: file, name: 'a' })];
  fleet.push(
    await startMember({ path: file, name: 'b' }),
    await startMember({ path: file, name: 'c', candidate: false }),
  );
  const oldLeader = fleet[0]!;
  fleet.forEach((m) => m.send({ cmd: 'writeLoop', prefix: m.name }));
  await until(() => fleet.every((m) => m.acked.size >= 5), 30_000, 'the fleet writing');

  // A maintenance job builds a fresh database and renames it over the live one.
  const fresh = path.join(dir, 'fresh.db');
  const db = new Database(fresh);
  db.exec(
    "CREATE TABLE rows (id TEXT PRIMARY KEY, member TEXT NOT NULL, epoch INTEGER); INSERT INTO rows VALUES ('from-maintenance', 'job', 0)",
  );
  db.close();
  fs.renameSync(fresh, file);

  const reported = await oldLeader.waitForNext((e) => e.ev === 'error' && e.code === 'LEADER_FAILED', 30_000);
  expect((reported as { message: string }).message).toMatch(/replaced/);
  const ackedAt = new Map(fleet.map((m) => [m, m.acked.size]));
  await until(
    () => fleet.every((m) => m.acked.size >= ackedAt.get(m)! + 5),
    30_000,
    'the fleet writing to the new file',
  );
  await stopWriting(fleet);

  const failures = fleet.flatMap((m) => m.failed);
  expect(failures.filter((f) => /malformed|disk I\/O/i.test(f.message))).toEqual([]);
  const check = await fleet[2]!.exec('PRAGMA integrity_check');
  expect(check.ok).toMatchObject({ rows: [{ integrity_check: 'ok' }] });
  const marker = await fleet[2]!.exec("SELECT count(*) AS n FROM rows WHERE id = 'from-maintenance'");
  expect(marker.ok).toMatchObject({ rows: [{ n: 1 }] });
});
