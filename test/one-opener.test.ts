/**
 * Guarantee 1, "one opener", watched exactly: an opener tracker (fanotify, see
 * helpers/opener-tracker.c) sees every open and close of the database, its -wal and its -shm,
 * by any process, across every change of leader: a SIGKILL, a graceful close, a requested
 * step-down, members joining, and "init" (reset) under load. At no instant may two processes
 * hold the files, and only the leaders the database records may ever open them.
 */
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { isLeader, killAll, leaderOf, startMember, until, type Member } from './helpers/fleet';
import { OpenerTracker, stopTrackers } from './helpers/opener-tracker';
import { removeTempDirs, tempDir } from './helpers/temp';

jest.setTimeout(120_000);

afterEach(async () => {
  await killAll();
  await stopTrackers();
  removeTempDirs();
});

/** Starts the tracker, then a fleet of `size` writing members (the first one leads). */
async function trackedFleet(
  name: string,
  size: number,
): Promise<{ file: string; tracker: OpenerTracker; members: Member[] }> {
  const file = path.join(tempDir(), name);
  const tracker = await OpenerTracker.start(file);
  const members = [await startMember({ path: file, name: 'm0' })];
  for (let i = 1; i < size; i++) members.push(await startMember({ path: file, name: `m${i}` }));
  members.forEach((m) => m.send({ cmd: 'writeLoop', prefix: m.name }));
  await until(() => members.every((m) => m.acked.size >= 5), 30_000, 'every member writing');
  return { file, tracker, members };
}

/** Waits until every member in `members` has 5 more writes acknowledged than now. */
async function writingAgain(members: Member[]): Promise<void> {
  const before = new Map(members.map((m) => [m, m.acked.size]));
  await until(() => members.every((m) => m.acked.size >= before.get(m)! + 5), 30_000, 'the fleet writing again');
}

/**
 * Closes the fleet, stops the tracker (every open and close recorded), then checks: no two
 * holders at any instant, and the openers are exactly the leaders the database recorded.
 * The independent read happens after the tracker stopped, so it is not counted.
 */
async function expectOneOpenerThroughout(
  file: string,
  tracker: OpenerTracker,
  members: Member[],
  leaders: number,
): Promise<void> {
  const live = members.filter((m) => m.child.exitCode === null && m.child.signalCode === null);
  for (const m of live) m.send({ cmd: 'stopLoop' });
  await Promise.all(live.map((m) => m.waitFor((e) => e.ev === 'writeDone')));
  for (const m of live) m.send({ cmd: 'close' });
  await Promise.all(live.map((m) => m.whenExited()));
  await tracker.stop();

  expect(tracker.overlaps()).toEqual([]);
  const db = new Database(file, { readonly: true });
  try {
    const recorded = (db.prepare('SELECT pid FROM _baton_epochs ORDER BY epoch').all() as { pid: number }[]).map(
      (r) => r.pid,
    );
    // Closing the fleet hands over from one member to the next, so more leaders than `leaders`.
    expect(recorded.length).toBeGreaterThanOrEqual(leaders);
    expect(new Set(tracker.openers())).toEqual(new Set(recorded));
  } finally {
    db.close();
  }
  expect(members.flatMap((m) => m.failed)).toEqual([]);
}

test('a leader SIGKILLed twice under load: at no instant do two processes hold the database, -wal or -shm', async () => {
  const { file, tracker, members } = await trackedFleet('kill.db', 4);
  for (let round = 0; round < 2; round++) {
    const alive = members.filter((m) => m.child.signalCode === null);
    const victim = leaderOf(alive);
    const survivors = alive.filter((m) => m !== victim);
    const failedOver = Promise.all(
      survivors.map((m) => m.waitForNext((e) => e.ev === 'failover' && e.fromPid === victim.pid, 30_000)),
    );
    victim.kill('SIGKILL');
    await failedOver;
    await writingAgain(survivors);
  }
  await expectOneOpenerThroughout(file, tracker, members, 3);
});

test('a leader that closes gracefully hands the files over: at no instant do two processes hold them', async () => {
  const { file, tracker, members } = await trackedFleet('close.db', 3);
  const leaving = leaderOf(members);
  const stayers = members.filter((m) => m !== leaving);
  const failedOver = Promise.all(
    stayers.map((m) => m.waitForNext((e) => e.ev === 'failover' && e.fromPid === leaving.pid, 30_000)),
  );
  leaving.send({ cmd: 'close' });
  await leaving.whenExited();
  await failedOver;
  await writingAgain(stayers);
  await expectOneOpenerThroughout(file, tracker, members, 2);
});

test('a requested step-down hands the files over: at no instant do two processes hold them', async () => {
  const { file, tracker, members } = await trackedFleet('step-down.db', 3);
  const first = leaderOf(members);
  const others = members.filter((m) => m !== first);
  const failedOver = Promise.all(
    others.map((m) => m.waitForNext((e) => e.ev === 'failover' && e.fromPid === first.pid, 30_000)),
  );
  others[0]!.send({ cmd: 'stepDown' });
  await failedOver;
  await writingAgain(members);
  expect(isLeader(first)).toBe(false);
  await expectOneOpenerThroughout(file, tracker, members, 2);
});

test('members joining and "init" (reset) run under load: only the leader ever opens the files', async () => {
  const { file, tracker, members } = await trackedFleet('join-init.db', 2);
  for (let i = 0; i < 3; i++) {
    const joined = await startMember({ path: file, name: `late${i}` });
    joined.send({ cmd: 'writeLoop', prefix: joined.name });
    members.push(joined);
    const reset = await members[i % members.length]!.call((ref) => ({ cmd: 'reset', ref }));
    expect(reset.code).toBeUndefined();
  }
  await writingAgain(members);
  expect(tracker.openers()).toEqual([leaderOf(members).pid]);
  await expectOneOpenerThroughout(file, tracker, members, 1);
});
