/**
 * Sockets of dead leaders do not pile up in the per-user runtime directory: a new leader (of
 * any store of the user) removes those whose leader is provably dead, because nobody holds
 * their election lock, and never the socket of a live leader, even a paused one (a paused
 * process still holds its lock, and the kernel still accepts connections for it).
 *
 * Every test gives its members a private XDG_RUNTIME_DIR, so the sweep sees only this test's
 * sockets and cannot touch those of tests running alongside.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { storePaths } from '@baton/store';
import { killAll, startMember, type Member } from './helpers/fleet';
import { removeTempDirs, tempDir } from './helpers/temp';

jest.setTimeout(60_000);

const stopped = new Set<Member>();

afterEach(async () => {
  for (const member of stopped) member.kill('SIGCONT');
  stopped.clear();
  await killAll();
  removeTempDirs();
});

/** A private runtime directory and a way to name databases in their own directories. */
function setup(): {
  env: NodeJS.ProcessEnv;
  database: (name: string) => string;
  socketOf: (database: string) => string;
  linkOf: (database: string) => string;
} {
  const root = tempDir('baton-sweep-');
  const xdg = path.join(root, 'xdg');
  fs.mkdirSync(xdg);
  const runtime = path.join(xdg, 'baton');
  const inRuntime = (file: string): string => path.join(runtime, path.basename(file));
  return {
    env: { XDG_RUNTIME_DIR: xdg },
    database: (name) => {
      const dir = path.join(root, name);
      fs.mkdirSync(dir);
      return path.join(dir, `${name}.db`);
    },
    socketOf: (database) => inRuntime(storePaths(database).socket),
    linkOf: (database) => inRuntime(storePaths(database).socketLink),
  };
}

function isSocket(file: string): boolean {
  try {
    return fs.lstatSync(file).isSocket();
  } catch {
    return false;
  }
}

async function killed(member: Member): Promise<void> {
  member.kill('SIGKILL');
  await member.whenExited();
}

test("a new leader removes the sockets of dead leaders and keeps a live leader's and a paused leader's", async () => {
  const { env, database, socketOf, linkOf } = setup();
  const dead = database('dead');
  const gone = database('gone');
  const live = database('live');
  const paused = database('paused');
  const socket = new Map([dead, gone, live, paused].map((db) => [db, socketOf(db)]));
  const link = new Map([dead, gone, live, paused].map((db) => [db, linkOf(db)]));
  // Every leader sweeps as it starts, so all four start while all four live.
  const [deadLeader, goneLeader, , pausedLeader] = await Promise.all(
    [dead, gone, live, paused].map((db) => startMember({ path: db, name: path.basename(db, '.db') }, env)),
  );
  pausedLeader!.kill('SIGSTOP');
  stopped.add(pausedLeader!);
  await Promise.all([killed(deadLeader!), killed(goneLeader!)]);
  fs.rmSync(path.dirname(gone), { recursive: true }); // the database, its directory and its lock file are gone too
  for (const db of [dead, gone, live, paused])
    expect({ db, socket: isSocket(socket.get(db)!) }).toEqual({ db, socket: true });

  // The sweep runs when a member starts leading, before it reports itself open.
  const newcomer = await startMember({ path: database('new'), name: 'newcomer' }, env);
  expect(newcomer.events[0]).toMatchObject({ ev: 'opened', role: 'leader' });

  const present = (db: string): [boolean, boolean] => [isSocket(socket.get(db)!), fs.existsSync(link.get(db)!)];
  expect([dead, gone].map(present)).toEqual([
    [false, false],
    [false, false],
  ]);
  expect([live, paused].map(present)).toEqual([
    [true, true],
    [true, true],
  ]);

  // Both kept sockets still lead somewhere: new members join each of them.
  const joiner = await startMember({ path: live, name: 'joiner', candidate: false }, env);
  expect((await joiner.exec("INSERT INTO rows (id, member) VALUES ('joined', 'joiner')")).code).toBeUndefined();
  pausedLeader!.kill('SIGCONT');
  stopped.delete(pausedLeader!);
  const late = await startMember({ path: paused, name: 'late', candidate: false }, env);
  expect(late.events[0]).toMatchObject({ ev: 'opened', role: 'follower' });
  expect((await late.exec("INSERT INTO rows (id, member) VALUES ('late', 'late')")).code).toBeUndefined();
});

test('a leader that closes cleanly leaves neither its socket nor its link in the runtime directory', async () => {
  const { env, database, socketOf, linkOf } = setup();
  const db = database('closing');
  const leader = await startMember({ path: db, name: 'closing' }, env);
  expect(leader.events[0]).toMatchObject({ ev: 'opened', role: 'leader' });
  expect([isSocket(socketOf(db)), fs.existsSync(linkOf(db))]).toEqual([true, true]);
  leader.send({ cmd: 'close' });
  await leader.waitFor((e) => e.ev === 'closed');
  expect([isSocket(socketOf(db)), fs.existsSync(linkOf(db))]).toEqual([false, false]);
});

test('the dead leader of the same database: its successor takes over the socket path and the sweep leaves the successor alone', async () => {
  const { env, database, socketOf, linkOf } = setup();
  const file = database('same');
  const first = await startMember({ path: file, name: 'first' }, env);
  await killed(first);
  const next = await startMember({ path: file, name: 'next' }, env);
  expect(next.events[0]).toMatchObject({ ev: 'opened', role: 'leader', epoch: 2 });
  expect(isSocket(socketOf(file))).toBe(true);
  expect(fs.readlinkSync(linkOf(file))).toBe(storePaths(file).lock);
  const follower = await startMember({ path: file, name: 'follower', candidate: false }, env);
  expect((await follower.exec("INSERT INTO rows (id, member) VALUES ('x', 'follower')")).code).toBeUndefined();
});
