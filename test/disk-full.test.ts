/**
 * Disk full: the database on a 4 MiB tmpfs, filled up with a ballast file under a live fleet.
 * Writes must fail with a clear SQLITE_FULL (never "malformed", never a dead leader), nothing
 * acknowledged may be lost, and writes must succeed again once the ballast is removed.
 *
 * Mounting needs root (CAP_SYS_ADMIN); elsewhere the test is skipped, with the reason in its
 * name and on the console.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { killAll, startMember, type Member } from './helpers/fleet';
import { removeSockets, socketOf } from './helpers/sockets';
import { sqliteCli } from './helpers/sqlite-cli';
import { removeTempDirs, tempDir } from './helpers/temp';

jest.setTimeout(120_000);

const mounted: string[] = [];

function mountTmpfs(dir: string, size: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  mounted.push(dir);
}

function unmountAll(): void {
  for (const dir of mounted.splice(0)) {
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' }); // something still holds it: detach now, freed when released
    }
  }
}

/** Why a tmpfs cannot be mounted here, or null when it can. */
function cannotMount(): string | null {
  if (process.getuid?.() !== 0) return 'needs root to mount a tmpfs';
  const probe = tempDir('baton-mount-probe-');
  try {
    mountTmpfs(probe, '64k');
    return null;
  } catch (error) {
    return `mount -t tmpfs failed: ${String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim()}`;
  } finally {
    unmountAll();
    removeTempDirs();
  }
}

const skipReason = cannotMount();
if (skipReason !== null) console.warn(`disk-full tests skipped: ${skipReason}`);
const testWithTmpfs = skipReason === null ? test : test.skip;
const skipped = skipReason === null ? '' : ` [SKIPPED: ${skipReason}]`;

afterEach(async () => {
  await killAll();
  removeSockets();
  unmountAll();
  removeTempDirs();
});

/** Fills the file system of `dir` with a ballast file until the kernel says ENOSPC. */
function fill(dir: string): string {
  const ballast = path.join(dir, 'ballast');
  const fd = fs.openSync(ballast, 'w');
  try {
    for (const size of [64 * 1024, 4096, 512]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) fs.writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return ballast;
}

async function insertBig(
  member: Member,
  id: string,
): Promise<{ code?: string; extendedCode?: string; message?: string }> {
  return member.exec('INSERT INTO big (id, data) VALUES (?, zeroblob(65536))', [id]);
}

testWithTmpfs(
  `disk full: writes fail with SQLITE_FULL, nothing acknowledged is lost, writes succeed again once space is freed${skipped}`,
  async () => {
    const mnt = path.join(tempDir(), 'mnt');
    fs.mkdirSync(mnt);
    mountTmpfs(mnt, '4m');
    const file = path.join(mnt, 'full.db');
    socketOf(file); // the socket lives in the runtime directory, not on the full disk
    const leader = await startMember({ path: file, name: 'leader' });
    const writer = await startMember({ path: file, name: 'writer', candidate: false });
    expect((await writer.exec('CREATE TABLE big (id TEXT PRIMARY KEY, data BLOB)')).code).toBeUndefined();
    writer.send({ cmd: 'write', prefix: 'before', count: 20 });
    await writer.waitFor((e) => e.ev === 'writeDone');
    expect(writer.acked.size).toBe(20);

    const ballast = fill(mnt);
    const acked: string[] = [];
    let failure: { code?: string; extendedCode?: string; message?: string } | null = null;
    for (let i = 0; i < 50 && failure === null; i++) {
      const result = await insertBig(writer, `full-${i}`);
      if (result.code === undefined) acked.push(`full-${i}`);
      else failure = result;
    }
    expect(failure).toMatchObject({
      code: 'SQLITE_FULL',
      extendedCode: 'SQLITE_FULL',
      message: expect.stringMatching(/full/i),
    });
    // The leader is the same and still serves reads.
    expect((await writer.exec('SELECT count(*) AS n FROM rows')).ok).toMatchObject({ rows: [{ n: 20 }] });
    expect(leader.child.exitCode).toBeNull();

    fs.unlinkSync(ballast);
    for (let i = 0; i < 10; i++) {
      const result = await insertBig(writer, `freed-${i}`);
      expect(result.code).toBeUndefined();
      acked.push(`freed-${i}`);
    }
    expect(writer.events.some((e) => e.ev === 'failover')).toBe(false);
    expect(leader.events.some((e) => e.ev === 'error')).toBe(false);

    for (const member of [writer, leader]) member.send({ cmd: 'close' });
    await Promise.all([writer.whenExited(), leader.whenExited()]);
    expect(sqliteCli(file, 'PRAGMA integrity_check')).toEqual(['ok']);
    expect(sqliteCli(file, 'SELECT id FROM big ORDER BY rowid')).toEqual(acked);
    expect(Number(sqliteCli(file, "SELECT count(*) FROM rows WHERE id LIKE 'before-%'")[0])).toBe(20);
  },
);

testWithTmpfs(
  `disk full when the leader dies: no successor can start until space is freed, then one does and nothing is lost${skipped}`,
  async () => {
    const mnt = path.join(tempDir(), 'mnt');
    fs.mkdirSync(mnt);
    mountTmpfs(mnt, '4m');
    const file = path.join(mnt, 'failover.db');
    socketOf(file);
    const leader = await startMember({ path: file, name: 'leader' });
    const successor = await startMember({ path: file, name: 'successor' });
    const writer = await startMember({ path: file, name: 'writer', candidate: false });
    writer.send({ cmd: 'write', prefix: 'before', count: 20 });
    await writer.waitFor((e) => e.ev === 'writeDone');
    expect(writer.acked.size).toBe(20);

    const ballast = fill(mnt);
    leader.kill('SIGKILL');
    await leader.whenExited();
    // The successor wins the lock but cannot commit its epoch: it says why, and tries again.
    const refused = await successor.waitFor((e) => e.ev === 'error', 30_000);
    expect(refused).toMatchObject({
      code: expect.stringMatching(/^(SQLITE_[A-Z]+|LEADER_FAILED)$/),
      message: expect.stringMatching(/full/i),
    });
    const pending = writer.exec("INSERT INTO rows (id, member) VALUES ('after', 'writer')");

    fs.unlinkSync(ballast);
    expect((await pending).code).toBeUndefined();
    await successor.waitFor((e) => e.ev === 'role' && e.role === 'leader', 30_000);
    expect(writer.failed).toEqual([]);

    for (const member of [writer, successor]) member.send({ cmd: 'close' });
    await Promise.all([writer.whenExited(), successor.whenExited()]);
    expect(sqliteCli(file, 'PRAGMA integrity_check')).toEqual(['ok']);
    expect(Number(sqliteCli(file, "SELECT count(*) FROM rows WHERE id LIKE 'before-%' OR id = 'after'")[0])).toBe(21);
  },
);
