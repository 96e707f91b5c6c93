/**
 * `reads: 'local'` with real processes: members that serve their reads on a read-only
 * connection of their own, beside a leader that alone writes.
 *
 * - Consistency: a read that starts after a write was acknowledged (to any member) sees it, on
 *   every local reader, in a loop under load and across a leader SIGKILL; a reader's view never
 *   goes back; an open transaction's uncommitted row is never seen.
 * - A paused leader does not stop local reads.
 * - A replaced file: once the leader noticed, no read returns the lost file's rows.
 * - One writer, watched exactly (the opener tracker's writers check): through kills, handovers,
 *   a reset and a file replacement under local readers, at most one process ever holds the
 *   database file open for writing; the readers open it, read-only.
 * - A reader writes nothing: an strace of a local reader through writes, a failover and a
 *   replacement shows no write to the database or its WAL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { isLeader, killAll, leaderOf, startMember, until, type Member } from './helpers/fleet';
import { OpenerTracker, stopTrackers } from './helpers/opener-tracker';
import { removeTempDirs, tempDir } from './helpers/temp';
import { ROWS_MIGRATION } from './fixtures/member-protocol';

jest.setTimeout(120_000);

const tracers: ChildProcess[] = [];
afterEach(async () => {
  for (const tracer of tracers.splice(0)) tracer.kill('SIGKILL');
  await killAll();
  await stopTrackers();
  removeTempDirs();
});

/** Runs `sql` in `member` and returns its first row, failing the test on an error. */
async function firstRow(member: Member, sql: string, args?: unknown[]): Promise<Record<string, unknown>> {
  const result = await member.exec(sql, args);
  if (result.code !== undefined) throw new Error(`${member.name}: ${sql} failed: ${result.code} ${result.message}`);
  return (result.ok as { rows: Record<string, unknown>[] }).rows[0]!;
}

/** How many reads `member` served itself. */
async function localReads(member: Member): Promise<number> {
  const result = await member.call((ref) => ({ cmd: 'localReads', ref }));
  return result.ok as number;
}

/** Inserts row `id` through `writer` and resolves once it is acknowledged. */
async function write(writer: Member, id: string): Promise<void> {
  const result = await writer.exec('INSERT INTO rows (id, member) VALUES (?, ?)', [id, writer.name]);
  if (result.code !== undefined)
    throw new Error(`${writer.name}: insert ${id} failed: ${result.code} ${result.message}`);
}

/** A fresh SQLite file at `file` holding the members' table and one row `id`: what replaces the database. */
function replacementFile(file: string, id: string): void {
  const db = new Database(file);
  db.exec(ROWS_MIGRATION);
  db.prepare('INSERT INTO rows (id, member) VALUES (?, ?)').run(id, 'replacement');
  db.close();
}

test('a read that starts after a write was acknowledged sees it on every local reader, under load and across a leader SIGKILL; no reader goes back in time', async () => {
  const file = path.join(tempDir(), 'consistency.db');
  const first = await startMember({ path: file, name: 'first' });
  const heir = await startMember({ path: file, name: 'heir', reads: 'local' });
  const writer = await startMember({ path: file, name: 'writer', candidate: false });
  const readers = [
    await startMember({ path: file, name: 'reader-1', candidate: false, reads: 'local' }),
    await startMember({ path: file, name: 'reader-2', candidate: false, reads: 'local' }),
  ];
  heir.send({ cmd: 'writeLoop', prefix: 'load' }); // load, and a local reader that also writes
  await until(() => heir.acked.size >= 5, 30_000, 'the load writing');

  const everyReader = [...readers, heir];
  const lastTotal = new Map<Member, number>(everyReader.map((r) => [r, 0]));
  const rounds = 60;
  for (let i = 0; i < rounds; i++) {
    if (i === rounds / 2) first.kill('SIGKILL');
    await write(writer, `ack-${i}`);
    // Every reader starts its read after the acknowledgement arrived here.
    const rows = await Promise.all(
      everyReader.map((reader) =>
        firstRow(
          reader,
          'SELECT (SELECT count(*) FROM rows WHERE id = ?) AS seen, (SELECT count(*) FROM rows) AS total',
          [`ack-${i}`],
        ),
      ),
    );
    rows.forEach((row, r) => {
      const reader = everyReader[r]!;
      expect({ reader: reader.name, round: i, seen: row.seen }).toEqual({ reader: reader.name, round: i, seen: 1 });
      expect(row.total as number).toBeGreaterThanOrEqual(lastTotal.get(reader)!);
      lastTotal.set(reader, row.total as number);
    });
  }
  expect(isLeader(heir)).toBe(true); // the SIGKILL did move the leader
  // Every read of the two readers was served by the reader itself, across the failover too.
  for (const reader of readers) expect(await localReads(reader)).toBe(rounds);
  heir.send({ cmd: 'stopLoop' });
  await heir.waitFor((e) => e.ev === 'writeDone');
  expect([writer, heir, ...readers].flatMap((m) => m.failed)).toEqual([]);
});

test("a local reader never sees the uncommitted row of another member's open transaction, and sees it once committed", async () => {
  const file = path.join(tempDir(), 'uncommitted.db');
  await startMember({ path: file, name: 'leader' });
  const holder = await startMember({ path: file, name: 'holder', candidate: false });
  const reader = await startMember({ path: file, name: 'reader', candidate: false, reads: 'local' });
  const opened = await holder.call((ref) => ({ cmd: 'txBegin', ref, id: 'pending' }));
  expect(opened.ok).toBe('open');
  for (let i = 0; i < 20; i++)
    expect(await firstRow(reader, 'SELECT count(*) AS n FROM rows WHERE id = ?', ['pending'])).toEqual({ n: 0 });
  expect((await holder.call((ref) => ({ cmd: 'txCommit', ref }))).ok).toBe('committed');
  expect(await firstRow(reader, 'SELECT count(*) AS n FROM rows WHERE id = ?', ['pending'])).toEqual({ n: 1 });
  expect(await localReads(reader)).toBe(21);
});

test('a paused leader does not stop local reads: they answer from the last commit, where a forwarded read would time out', async () => {
  const file = path.join(tempDir(), 'paused.db');
  const leader = await startMember({ path: file, name: 'leader' });
  const options = { path: file, candidate: false, requestTimeoutMs: 1_000 };
  const local = await startMember({ ...options, name: 'local', reads: 'local' });
  const forwarding = await startMember({ ...options, name: 'forwarding' });
  await write(forwarding, 'before-pause');
  leader.kill('SIGSTOP');
  try {
    for (let i = 0; i < 10; i++)
      expect(await firstRow(local, 'SELECT count(*) AS n FROM rows WHERE id = ?', ['before-pause'])).toEqual({ n: 1 });
    const forwarded = await forwarding.exec('SELECT count(*) AS n FROM rows');
    expect(forwarded.code).toBe('TIMEOUT');
  } finally {
    leader.kill('SIGCONT');
  }
  expect(await localReads(local)).toBe(10);
});

test("a database file replaced under local readers: once the leader noticed, no read returns the lost file's rows, and reads go on locally on the new file", async () => {
  const file = path.join(tempDir(), 'replaced.db');
  const leader = await startMember({ path: file, name: 'leader' });
  const successor = await startMember({ path: file, name: 'successor' });
  const reader = await startMember({ path: file, name: 'reader', candidate: false, reads: 'local' });
  await write(successor, 'lost');
  expect(await firstRow(reader, 'SELECT count(*) AS n FROM rows WHERE id = ?', ['lost'])).toEqual({ n: 1 });

  replacementFile(`${file}.new`, 'fresh');
  fs.renameSync(`${file}.new`, file);
  // The leader notices (within half a second when idle) and steps down.
  await leader.waitFor((e) => e.ev === 'role' && e.role !== 'leader');
  for (let i = 0; i < 20; i++) {
    const row = await firstRow(
      reader,
      "SELECT (SELECT count(*) FROM rows WHERE id = 'lost') AS lost, (SELECT count(*) FROM rows WHERE id = 'fresh') AS fresh",
    );
    expect({ read: i, ...row }).toEqual({ read: i, lost: 0, fresh: 1 });
  }
  await until(() => [leader, successor].some(isLeader), 30_000, 'a leader on the new file');
  const before = await localReads(reader);
  await write(successor, 'after');
  expect(await firstRow(reader, 'SELECT count(*) AS n FROM rows WHERE id = ?', ['after'])).toEqual({ n: 1 });
  expect(await localReads(reader)).toBe(before + 1);
});

test('one writer, watched exactly: through SIGKILLs, a step-down, a reset, a file replacement and graceful closes, at most one process holds the database open for writing; the local readers hold it read-only', async () => {
  const file = path.join(tempDir(), 'writers.db');
  const tracker = await OpenerTracker.start(file, 'writers');
  const members = [
    await startMember({ path: file, name: 'm0' }),
    await startMember({ path: file, name: 'm1', reads: 'local' }),
    await startMember({ path: file, name: 'm2', reads: 'local' }),
  ];
  const readers = [
    await startMember({ path: file, name: 'r0', candidate: false, reads: 'local' }),
    await startMember({ path: file, name: 'r1', candidate: false, reads: 'local' }),
  ];
  const everyone = [...members, ...readers];
  const alive = (): Member[] => everyone.filter((m) => m.child.exitCode === null && m.child.signalCode === null);
  const read = async (): Promise<void> => {
    for (const reader of readers) await firstRow(reader, 'SELECT count(*) AS n FROM rows');
  };
  members.forEach((m) => m.send({ cmd: 'writeLoop', prefix: m.name }));
  const writingAgain = async (): Promise<void> => {
    const writing = alive().filter((m) => members.includes(m));
    const before = new Map(writing.map((m) => [m, m.acked.size]));
    await until(() => writing.every((m) => m.acked.size >= before.get(m)! + 5), 30_000, 'the fleet writing again');
    await read();
  };
  await writingAgain();

  const victim = leaderOf(alive());
  victim.kill('SIGKILL');
  await victim.whenExited();
  await writingAgain();
  const reset = await leaderOf(alive()).call((ref) => ({ cmd: 'reset', ref }));
  expect(reset.code).toBeUndefined();
  await writingAgain();
  leaderOf(alive()).send({ cmd: 'stepDown' });
  await writingAgain();
  replacementFile(`${file}.new`, 'fresh');
  fs.renameSync(`${file}.new`, file);
  await writingAgain();

  // The tracker itself catches a second writer: this process opens the file for writing.
  const intruder = new Database(file);
  await tracker.sync();
  intruder.close();
  expect(tracker.overlaps().some((e) => e.kind === 'OVERLAP' && e.pid === process.pid)).toBe(true);

  // Every write settles before anyone closes: a closing member does not stand for election, so
  // with every member closing at once a write still in flight could find no leader until its
  // request timeout.
  const writers = alive().filter((m) => members.includes(m));
  for (const m of writers) m.send({ cmd: 'stopLoop' });
  await Promise.all(writers.map((m) => m.waitForNext((e) => e.ev === 'writeDone')));
  for (const m of alive()) m.send({ cmd: 'close' });
  await Promise.all(alive().map((m) => m.whenExited()));
  await tracker.stop();

  expect(tracker.overlaps([process.pid])).toEqual([]);
  const leaders = new Set(
    members.filter((m) => m.events.some((e) => (e.ev === 'opened' || e.ev === 'role') && e.role === 'leader')),
  );
  expect(leaders.size).toBeGreaterThanOrEqual(3);
  // Only members that led ever opened the file for writing; the readers did open it, read-only.
  expect(new Set(tracker.writers().filter((pid) => pid !== process.pid))).toEqual(
    new Set([...leaders].map((m) => m.pid)),
  );
  for (const reader of readers) {
    expect(tracker.openers()).toContain(reader.pid);
    expect(tracker.writers()).not.toContain(reader.pid);
  }
  expect(everyone.flatMap((m) => m.failed)).toEqual([]);
});

test('strace of a local reader through writes, a leader SIGKILL and a file replacement: it never writes to the database or its WAL, and opens the database read-only', async () => {
  const file = path.join(tempDir(), 'traced.db');
  const leader = await startMember({ path: file, name: 'leader' });
  const successor = await startMember({ path: file, name: 'successor' });
  const reader = await startMember({ path: file, name: 'reader', candidate: false, reads: 'local' });
  // Not beside the database: the member watches that directory, and every traced call would wake it.
  const out = path.join(tempDir(), 'reader.trace');
  const tracer = spawn('strace', ['-f', '-y', '-e', 'trace=%file,%desc', '-o', out, '-p', String(reader.pid)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  tracers.push(tracer);
  // strace says "Process N attached" (with its threads) on stderr once every thread is traced.
  let attached = '';
  tracer.stderr.on('data', (chunk: Buffer) => (attached += chunk.toString()));
  await until(() => attached.includes('attached'), 30_000, 'strace attached');

  for (let i = 0; i < 20; i++) {
    await write(successor, `w-${i}`);
    await firstRow(reader, 'SELECT count(*) AS n FROM rows');
  }
  leader.kill('SIGKILL');
  await write(successor, 'after-kill');
  expect(await firstRow(reader, 'SELECT count(*) AS n FROM rows WHERE id = ?', ['after-kill'])).toEqual({ n: 1 });
  replacementFile(`${file}.new`, 'fresh');
  fs.renameSync(`${file}.new`, file);
  await until(() => !isLeader(successor) || successor.events.some((e) => e.ev === 'failover'), 30_000, 'the step-down');
  await write(successor, 'on-new-file');
  expect(await firstRow(reader, 'SELECT count(*) AS n FROM rows WHERE id = ?', ['on-new-file'])).toEqual({ n: 1 });

  const exited = new Promise((resolve) => tracer.once('exit', resolve));
  tracer.kill('SIGINT'); // strace detaches and flushes
  await exited;
  const lines = fs.readFileSync(out, 'utf8').split('\n');
  const name = path.basename(file);
  const touching = lines.filter((l) => l.includes(`/${name}`) && !l.includes(`/${name}-shm`));
  const opensOfDatabase = touching.filter((l) => /open/.test(l) && l.includes(`"${file}"`));
  expect(opensOfDatabase.length).toBeGreaterThan(0); // it did open the file (after the replacement again)
  expect(opensOfDatabase.filter((l) => !l.includes('O_RDONLY'))).toEqual([]);
  const writes = touching.filter((l) => /^(\d+\s+)?(p?write\w*|ftruncate|fallocate|fsync|fdatasync)\(/.test(l));
  expect(writes).toEqual([]);
});
