/**
 * A paused (SIGSTOP) leader. With flock it keeps the lock: nobody takes over, requests end in
 * TIMEOUT, and after SIGCONT everything carries on. With the lockfile lease a second leader
 * takes over, and the paused one steps down when it resumes instead of committing.
 */
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { killAll, startMember, type Member } from './helpers/fleet';
import type { MemberEvent } from './fixtures/member-protocol';
import { removeTempDirs, tempDir } from './helpers/temp';

jest.setTimeout(120_000);

const stopped: Member[] = [];
afterEach(async () => {
  for (const member of stopped.splice(0)) member.kill('SIGCONT');
  await killAll();
  removeTempDirs();
});

function pause(member: Member): void {
  stopped.push(member);
  member.kill('SIGSTOP');
}

test('flock: a paused leader keeps the lock, requests end in TIMEOUT, and all carry on after SIGCONT', async () => {
  const file = path.join(tempDir(), 'paused.db');
  const leader = await startMember({ path: file, name: 'leader' });
  const candidate = await startMember({ path: file, name: 'candidate', requestTimeoutMs: 1500 });
  const follower = await startMember({ path: file, name: 'follower', requestTimeoutMs: 1500, candidate: false });
  expect(leader.events[0]).toMatchObject({ ev: 'opened', role: 'leader' });

  pause(leader);
  const [fromFollower, fromCandidate] = await Promise.all([
    follower.exec("INSERT INTO rows (id, member) VALUES ('while-paused-1', 'follower')"),
    candidate.exec("INSERT INTO rows (id, member) VALUES ('while-paused-2', 'candidate')"),
  ]);
  expect(fromFollower.code).toBe('TIMEOUT');
  expect(fromCandidate.code).toBe('TIMEOUT');
  // Nobody took over: the candidate never became leader.
  expect(candidate.events.some((e) => e.ev === 'role' && e.role === 'leader')).toBe(false);
  expect(candidate.events.some((e) => e.ev === 'failover')).toBe(false);

  leader.kill('SIGCONT');
  const after = await follower.exec("INSERT INTO rows (id, member) VALUES ('after-resume', 'follower')");
  expect(after.code).toBeUndefined();
  const count = await candidate.exec("SELECT count(*) AS n FROM rows WHERE id = 'after-resume'");
  expect(count.ok).toMatchObject({ rows: [{ n: 1 }] });
  expect(candidate.events.some((e) => e.ev === 'failover')).toBe(false);
});

/**
 * The lease scenario's start: `old` leads alone, a non-candidate `reader` follows it, `old` is
 * paused, the reader's read waits on it, and a new candidate `next` takes the stale lease over.
 * Until the pause `old` is the only candidate, so no other process can take its lease; but a
 * leader can still step down on its own before the pause (its engine fenced or failed), and
 * then nothing of the scenario holds: the reader fails over to `next` at once. `old` cannot
 * report anything once paused, and `next` opens at least a second later, so by then its events
 * say whether it still led at the pause; such an attempt is discarded, with its events, and the
 * scenario starts again on a fresh database (at most three times).
 */
async function leaseTakenFromPausedLeader(): Promise<{
  file: string;
  old: Member;
  reader: Member;
  next: Member;
  timedOut: Extract<MemberEvent, { ev: 'result' }>;
}> {
  const discarded: MemberEvent[][] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    const file = path.join(tempDir(), `lease-${attempt}.db`);
    const lockfile = { path: file, lock: 'lockfile' as const };
    const old = await startMember({ ...lockfile, name: 'old' });
    // Generous for joining on a loaded machine (opening is bounded by it too); the read below
    // times out whatever its length, since its leader is paused.
    const reader = await startMember({ ...lockfile, name: 'reader', candidate: false, requestTimeoutMs: 10_000 });
    expect(old.events[0]).toMatchObject({ ev: 'opened', role: 'leader', epoch: 1 });
    expect(reader.events[0]).toMatchObject({ ev: 'opened', role: 'follower', epoch: 1 });
    // The read is on purpose: a write left in the paused leader's socket would reach its engine
    // on resume and be refused by the fence first (fencing.test.ts proves that refusal); here
    // nothing is left to commit, so the lease's loss alone must make it step down.
    pause(old);
    const reading = reader.startExec('SELECT count(*) AS n FROM rows');
    // The read must be on its way to the paused leader before the next candidate starts: a
    // reader short of CPU could otherwise take the command only once it follows the next leader
    // (then answered at once, by that leader).
    await reading.sent;
    // A candidate joining now finds the lease held, then stale, and takes over.
    const next = await startMember({ ...lockfile, name: 'next' });
    const ledThroughout = old.events.every((e) => e.ev === 'opened' || (e.ev === 'role' && e.role === 'leader'));
    if (!ledThroughout) {
      discarded.push(old.events.slice());
      old.kill('SIGCONT');
      await killAll();
      continue;
    }
    expect(next.events[0]).toMatchObject({ ev: 'opened', role: 'leader', epoch: 2 });
    const timedOut = await reading.result;
    return { file, old, reader, next, timedOut };
  }
  throw new Error(`the old leader stepped down on its own before every pause: ${JSON.stringify(discarded)}`);
}

test('lockfile: a second leader takes over a paused one, which steps down when it resumes', async () => {
  const { file, old, reader, next, timedOut } = await leaseTakenFromPausedLeader();
  // On failure, the reader's and the old leader's events say where the answer came from.
  expect({ timedOut, reader: reader.events, old: old.events }).toMatchObject({ timedOut: { code: 'TIMEOUT' } });
  const written = await next.exec("INSERT INTO rows (id, member) VALUES ('under-the-new-lease', 'next')");
  expect(written.code).toBeUndefined();
  const readAgain = await reader.exec('SELECT count(*) AS n FROM rows');
  expect(readAgain.ok).toMatchObject({ rows: [{ n: 1 }] });

  // The resumed process learns it lost the lease and steps down; then it follows the new leader.
  const steppedDown = old.waitForNext((e) => e.ev === 'error' && e.code === 'LEADER_FAILED', 30_000);
  old.kill('SIGCONT');
  expect(((await steppedDown) as { message: string }).message).toMatch(
    /^LEADER_FAILED: the leader hosted here stepped down: leader lease lost: /,
  );
  const viaNewLeader = await old.exec("INSERT INTO rows (id, member) VALUES ('after-resume', 'old')");
  expect(viaNewLeader.code).toBeUndefined();
  expect(old.events.some((e) => e.ev === 'failover' && e.toPid === next.pid)).toBe(true);
  await killAll();

  const db = new Database(file, { readonly: true });
  try {
    const ids = (db.prepare('SELECT id FROM rows ORDER BY id').all() as { id: string }[]).map((r) => r.id);
    expect(ids).toEqual(['after-resume', 'under-the-new-lease']);
    expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
    const epochs = db.prepare('SELECT epoch, name FROM _baton_epochs ORDER BY epoch').all();
    expect(epochs).toEqual([
      { epoch: 1, name: 'old' },
      { epoch: 2, name: 'next' },
    ]);
  } finally {
    db.close();
  }
});
