/**
 * The permissions of the files Baton creates: the database, its -wal and -shm, the lock file
 * and the leader record are 0600 whatever the umask of the member that created them, or
 * exactly the `fileMode` a deployment chose; a database that others can already read is
 * reported by its leader, once, on the 'error' channel.
 *
 * A member's umask is the one it inherits from this process when it is forked, and the test
 * reads it back from /proc/<pid>/status, so a umask that did not reach the member fails the
 * test instead of passing it by accident.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { storePaths, type StoreOptions } from '@baton/store';
import type { MemberEvent } from './fixtures/member-protocol';
import { killAll, startMember, type Member } from './helpers/fleet';
import { removeTempDirs, tempDir } from './helpers/temp';

jest.setTimeout(60_000);

afterEach(async () => {
  await killAll();
  removeTempDirs();
});

type ErrorEvent = Extract<MemberEvent, { ev: 'error' }>;

/** Forks a member whose umask is `umask` (inherited across fork and exec) and checks it took. */
async function startWithUmask(umask: number, options: StoreOptions & { name: string }): Promise<Member> {
  const previous = process.umask(umask);
  let member: Member;
  try {
    member = await startMember(options);
  } finally {
    process.umask(previous);
  }
  const status = fs.readFileSync(`/proc/${member.pid}/status`, 'utf8');
  expect(/^Umask:\s+(\d+)$/m.exec(status)?.[1]).toBe(umask.toString(8).padStart(4, '0'));
  return member;
}

/** The permission bits of each of the store's files, as `0600`-style strings, keyed by suffix. */
function storeModes(database: string): Record<string, string> {
  const paths = storePaths(database);
  const files: Record<string, string> = {
    db: paths.database,
    'db-wal': `${paths.database}-wal`,
    'db-shm': `${paths.database}-shm`,
    lock: paths.lock,
    record: paths.record,
  };
  return Object.fromEntries(
    Object.entries(files).map(([name, file]) => [name, `0${(fs.statSync(file).mode & 0o777).toString(8)}`]),
  );
}

function allOf(mode: string): Record<string, string> {
  return { db: mode, 'db-wal': mode, 'db-shm': mode, lock: mode, record: mode };
}

/** Runs a write and a read through `member`, so that every event it emitted before them has arrived. */
async function roundTrip(member: Member, id: string): Promise<void> {
  expect((await member.exec('INSERT INTO rows (id, member) VALUES (?, ?)', [id, member.name])).code).toBeUndefined();
  expect((await member.exec('SELECT count(*) AS n FROM rows')).code).toBeUndefined();
}

function permissionWarnings(member: Member): ErrorEvent[] {
  return member.events.filter((e): e is ErrorEvent => e.ev === 'error' && e.code === 'PERMISSIONS_TOO_OPEN');
}

describe.each([
  ['022', 0o022],
  ['000', 0o000],
])('a database Baton creates under umask %s', (_label, umask) => {
  test('is 0600: the database, -wal, -shm, lock file and leader record; its leader does not warn', async () => {
    const file = path.join(tempDir('baton-modes-'), 'private.db');
    const leader = await startWithUmask(umask, { path: file, name: 'leader' });
    await roundTrip(leader, 'one');
    expect(storeModes(file)).toEqual(allOf('0600'));
    expect(permissionWarnings(leader)).toEqual([]);
  });
});

describe.each([
  ['000', 0o000],
  ['077', 0o077],
])('with fileMode 0o640 under umask %s', (_label, umask) => {
  test('every file the store creates is exactly 0640 (the group may read, nobody else)', async () => {
    const file = path.join(tempDir('baton-modes-'), 'shared.db');
    const leader = await startWithUmask(umask, { path: file, name: 'leader', fileMode: 0o640 });
    await roundTrip(leader, 'one');
    expect(storeModes(file)).toEqual(allOf('0640'));
    expect(permissionWarnings(leader)).toEqual([]);
  });
});

test('an existing database is opened as it is: its mode and its rows are kept, and nothing is truncated', async () => {
  const file = path.join(tempDir('baton-modes-'), 'kept.db');
  const first = await startMember({ path: file, name: 'first' });
  await roundTrip(first, 'kept');
  first.send({ cmd: 'close' });
  await first.whenExited();
  fs.chmodSync(file, 0o640);
  const next = await startMember({ path: file, name: 'next', fileMode: 0o640 });
  const count = await next.exec("SELECT count(*) AS n FROM rows WHERE id = 'kept'");
  expect(count.ok).toMatchObject({ rows: [{ n: 1 }] });
  expect(fs.statSync(file).mode & 0o777).toBe(0o640);
});

/** A database made by Baton, left by its last member, then opened up (`0644`) with its lock file. */
async function exposedDatabase(name: string): Promise<string> {
  const file = path.join(tempDir('baton-modes-'), name);
  const first = await startMember({ path: file, name: 'first' });
  await roundTrip(first, 'before');
  first.send({ cmd: 'close' });
  await first.whenExited();
  for (const exposed of [file, storePaths(file).lock]) fs.chmodSync(exposed, 0o644);
  return file;
}

test('the leader of a database others can read warns once on the error channel, with the chmod that fixes it; a follower does not', async () => {
  const file = await exposedDatabase('exposed.db');
  const paths = storePaths(file);

  const leader = await startMember({ path: file, name: 'leader' });
  expect(leader.events[0]).toMatchObject({ ev: 'opened', role: 'leader' });
  const follower = await startMember({ path: file, name: 'follower', candidate: false });
  await roundTrip(leader, 'after-leader');
  await roundTrip(follower, 'after-follower');

  const warnings = permissionWarnings(leader);
  expect(warnings).toHaveLength(1);
  // SQLite gave the new -wal and -shm the database's own mode, so they are exposed as well.
  const db = paths.database;
  expect(warnings[0]!.message).toContain(`${db} (0644), ${db}-wal (0644), ${db}-shm (0644), ${paths.lock} (0644)`);
  expect(warnings[0]!.message).toContain(`chmod 600 ${db} ${db}-wal ${db}-shm ${paths.lock}`);
  expect(permissionWarnings(follower)).toEqual([]);
  // The warning is advice: the files keep the mode their owner gave them.
  expect(fs.statSync(paths.database).mode & 0o777).toBe(0o644);
});

test('a member that leads an exposed database again after handing it over does not warn again', async () => {
  const file = await exposedDatabase('again.db');
  const a = await startMember({ path: file, name: 'a' });
  const b = await startMember({ path: file, name: 'b' });
  await roundTrip(a, 'a-first');
  a.send({ cmd: 'stepDown' });
  await b.waitFor((e) => e.ev === 'role' && e.role === 'leader');
  await roundTrip(b, 'b-leads');
  b.send({ cmd: 'stepDown' });
  await a.waitForNext((e) => e.ev === 'role' && e.role === 'leader');
  await roundTrip(a, 'a-again');
  await roundTrip(b, 'b-follows');
  // Each warned when it first led, and only then.
  expect([permissionWarnings(a).length, permissionWarnings(b).length]).toEqual([1, 1]);
});
