/**
 * Who can get in. Baton trusts the user that runs the fleet and nobody else on the host: the
 * socket is 0600 inside a 0700 directory owned by the user, the lock file, the leader record
 * and the database are neither readable nor writable by others (test/file-modes.test.ts covers
 * their modes under any umask), and a symlink planted at one of Baton's paths
 * is replaced or refused, never followed.
 *
 * Each test gives its members a private XDG_RUNTIME_DIR, so it can open the runtime directory
 * up (or plant things in it) without touching the one other tests share. Another user is
 * played by a `node` child spawned with uid/gid 65534 (nobody), which needs root.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { storePaths } from '@baton/store';
import { killAll, startMember, type Member } from './helpers/fleet';
import { removeTempDirs, tempDir } from './helpers/temp';

jest.setTimeout(120_000);

afterEach(async () => {
  await killAll();
  removeTempDirs();
});

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const testAsRoot = asRoot ? test : test.skip;
const needsRoot = asRoot ? '' : ' [SKIPPED: needs root to act as another user]';

/** A database in a fresh directory, with members using a private runtime directory. */
function setup(): { file: string; runtime: string; socket: string; env: NodeJS.ProcessEnv } {
  const dir = tempDir('baton-security-');
  const xdg = path.join(dir, 'xdg');
  fs.mkdirSync(xdg);
  const file = path.join(dir, 'secure.db');
  const runtime = path.join(xdg, 'baton');
  return {
    file,
    runtime,
    socket: path.join(runtime, path.basename(storePaths(file).socket)),
    env: { XDG_RUNTIME_DIR: xdg },
  };
}

function mode(file: string): number {
  return fs.lstatSync(file).mode & 0o777;
}

/** Runs `script` with `node -e` as uid/gid 65534 and returns its stdout lines. */
function asNobody(script: string, ...args: string[]): string[] {
  const result = spawnSync(process.execPath, ['-e', script, ...args], {
    uid: NOBODY,
    gid: NOBODY,
    cwd: '/',
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (result.status !== 0) throw new Error(`node as uid ${NOBODY} failed: ${result.stderr || result.error}`);
  return result.stdout.trim().split('\n');
}

const CONNECT = `
const socket = require('net').connect(process.argv[1]);
socket.on('connect', () => { console.log('CONNECTED'); process.exit(0); });
socket.on('error', (error) => { console.log(error.code); process.exit(0); });`;

const OPEN_FOR_WRITING = `
for (const file of process.argv.slice(1)) {
  try { require('fs').closeSync(require('fs').openSync(file, 'r+')); console.log('WRITABLE'); }
  catch (error) { console.log(error.code); }
}`;

test('the socket is 0600 inside a 0700 directory owned by the user', async () => {
  const { file, runtime, socket, env } = setup();
  await startMember({ path: file, name: 'leader' }, env);
  expect(fs.lstatSync(socket).isSocket()).toBe(true);
  expect(mode(socket)).toBe(0o600);
  const dir = fs.lstatSync(runtime);
  expect(dir.isDirectory()).toBe(true);
  expect(dir.mode & 0o777).toBe(0o700);
  expect(dir.uid).toBe(process.getuid!());
});

testAsRoot(`a process running as another user cannot connect to the socket (EACCES)${needsRoot}`, async () => {
  const { file, runtime, socket, env } = setup();
  const leader = await startMember({ path: file, name: 'leader' }, env);
  expect(asNobody(CONNECT, socket)).toEqual(['EACCES']);
  // Even with every directory on the way opened up, the socket's own mode keeps them out.
  for (let dir = runtime; dir !== path.dirname(path.dirname(file)); dir = path.dirname(dir)) fs.chmodSync(dir, 0o755);
  expect(asNobody(CONNECT, socket)).toEqual(['EACCES']);
  // And the fleet did not notice.
  expect((await leader.exec("INSERT INTO rows (id, member) VALUES ('ok', 'leader')")).code).toBeUndefined();
});

testAsRoot(
  `the lock file, the leader record and the database are not writable by another user${needsRoot}`,
  async () => {
    const { file, env } = setup();
    const leader = await startMember({ path: file, name: 'leader' }, env);
    expect((await leader.exec("INSERT INTO rows (id, member) VALUES ('x', 'leader')")).code).toBeUndefined();
    const paths = storePaths(file);
    const files = [paths.lock, paths.record, paths.database, `${paths.database}-wal`, `${paths.database}-shm`];
    for (const f of files)
      expect({ file: f, groupOrOtherWritable: (mode(f) & 0o022) !== 0 }).toEqual({
        file: f,
        groupOrOtherWritable: false,
      });
    fs.chmodSync(path.dirname(file), 0o755); // let the other user reach the files, so only their own modes decide
    expect(asNobody(OPEN_FOR_WRITING, ...files)).toEqual(files.map(() => 'EACCES'));
  },
);

const OPEN_FOR_READING = `
for (const file of process.argv.slice(1)) {
  try { require('fs').closeSync(require('fs').openSync(file, 'r')); console.log('READABLE'); }
  catch (error) { console.log(error.code); }
}`;

testAsRoot(
  `another user cannot read the database, its -wal and -shm, the lock file or the leader record, nor open it with sqlite3${needsRoot}`,
  async () => {
    const { file, env } = setup();
    const leader = await startMember({ path: file, name: 'leader' }, env);
    expect((await leader.exec("INSERT INTO rows (id, member) VALUES ('secret', 'leader')")).code).toBeUndefined();
    const paths = storePaths(file);
    const files = [paths.database, `${paths.database}-wal`, `${paths.database}-shm`, paths.lock, paths.record];
    fs.chmodSync(path.dirname(file), 0o755); // let the other user reach the files, so only their own modes decide
    expect(asNobody(OPEN_FOR_READING, ...files)).toEqual(files.map(() => 'EACCES'));
    const sqlite = spawnSync('sqlite3', ['-readonly', paths.database, 'SELECT id FROM rows'], {
      uid: NOBODY,
      gid: NOBODY,
      cwd: '/',
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(sqlite.status).not.toBe(0);
    expect(sqlite.stderr).toMatch(/unable to open database/);
    expect(sqlite.stdout).not.toContain('secret');
  },
);

test('a symlink planted at the socket path is replaced, not followed: its target is untouched', async () => {
  const { file, runtime, socket, env } = setup();
  const target = path.join(path.dirname(file), 'precious.txt');
  fs.writeFileSync(target, 'precious');
  fs.mkdirSync(runtime, { mode: 0o700 });
  fs.symlinkSync(target, socket);
  const leader = await startMember({ path: file, name: 'leader' }, env);
  expect(fs.lstatSync(socket).isSocket()).toBe(true);
  expect(fs.lstatSync(target).isFile()).toBe(true);
  expect(fs.readFileSync(target, 'utf8')).toBe('precious');
  const follower = await startMember({ path: file, name: 'follower', candidate: false }, env);
  expect((await follower.exec("INSERT INTO rows (id, member) VALUES ('x', 'follower')")).code).toBeUndefined();
  expect(leader.child.exitCode).toBeNull();
});

test('a symlink planted at the leader record path is replaced, not followed: its target is untouched', async () => {
  const { file, env } = setup();
  const target = path.join(path.dirname(file), 'precious.txt');
  fs.writeFileSync(target, 'precious');
  const record = storePaths(file).record;
  fs.symlinkSync(target, record);
  const leader = await startMember({ path: file, name: 'leader' }, env);
  expect(fs.lstatSync(record).isFile()).toBe(true);
  expect(JSON.parse(fs.readFileSync(record, 'utf8'))).toMatchObject({ pid: leader.pid, epoch: 1 });
  expect(fs.readFileSync(target, 'utf8')).toBe('precious');
});

test('a symlink planted at the lock path is refused, not followed: no member leads through it and its target is untouched', async () => {
  const { file, env } = setup();
  const target = path.join(path.dirname(file), 'precious.txt');
  fs.writeFileSync(target, 'precious');
  fs.symlinkSync(target, storePaths(file).lock);
  // The lock file is opened with O_NOFOLLOW: ELOOP, so this member can never take the lock
  // (and no other member could either: a planted symlink stops the election, it never
  // redirects it). openStore gives up with NO_LEADER.
  let member: Member | null = null;
  await expect(
    startMember({ path: file, name: 'refused', requestTimeoutMs: 2000 }, env).then((m) => (member = m)),
  ).rejects.toThrow(/NO_LEADER/);
  expect(member).toBeNull();
  expect(fs.lstatSync(storePaths(file).lock).isSymbolicLink()).toBe(true);
  expect(fs.readFileSync(target, 'utf8')).toBe('precious');
  expect(fs.existsSync(file)).toBe(false); // nobody opened the database
});

test('a runtime directory that is a symlink is refused with PERMISSION_DENIED; nothing is created where it points', async () => {
  const { file, runtime, env } = setup();
  const elsewhere = path.join(path.dirname(file), 'elsewhere');
  fs.mkdirSync(elsewhere, { mode: 0o700 });
  fs.symlinkSync(elsewhere, runtime);
  await expect(startMember({ path: file, name: 'refused', requestTimeoutMs: 5000 }, env)).rejects.toThrow(
    /PERMISSION_DENIED/,
  );
  expect(fs.readdirSync(elsewhere)).toEqual([]);
});

testAsRoot(`a runtime directory owned by another user is refused with PERMISSION_DENIED${needsRoot}`, async () => {
  const { file, runtime, env } = setup();
  fs.mkdirSync(runtime, { mode: 0o700 });
  fs.chownSync(runtime, NOBODY, NOBODY);
  await expect(startMember({ path: file, name: 'refused', requestTimeoutMs: 5000 }, env)).rejects.toThrow(
    /PERMISSION_DENIED/,
  );
  expect(fs.readdirSync(runtime)).toEqual([]);
});

test('a runtime directory opened up to others is closed again (0700) before the socket goes in', async () => {
  const { file, runtime, socket, env } = setup();
  fs.mkdirSync(runtime, { mode: 0o700 });
  fs.chmodSync(runtime, 0o777);
  await startMember({ path: file, name: 'leader' }, env);
  expect(mode(runtime)).toBe(0o700);
  expect(mode(socket)).toBe(0o600);
});

/** A fake leader run by another user: welcomes anyone and acknowledges every request without doing it. */
const ROGUE_LEADER = `
const net = require('net'); const fs = require('fs');
const { Packr } = require(${JSON.stringify(require.resolve('msgpackr'))});
const packr = new Packr({ useRecords: false });
const [socketPath, recordPath] = process.argv.slice(1);
const encode = (m) => { const p = packr.pack(m); const h = Buffer.alloc(4); h.writeUInt32BE(p.length, 0); return Buffer.concat([h, p]); };
net.createServer((c) => {
  let buffered = Buffer.alloc(0);
  c.on('error', () => {});
  c.on('data', (d) => {
    buffered = Buffer.concat([buffered, d]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
      const m = packr.unpack(buffered.subarray(4, 4 + buffered.readUInt32BE(0)));
      buffered = buffered.subarray(4 + buffered.readUInt32BE(0));
      console.log(JSON.stringify(m));
      if (m.t === 'hello') c.write(encode({ t: 'welcome', v: PROTOCOL_VERSION, epoch: 99, schemaVersion: 1, leaderPid: process.pid, leaderName: 'rogue' }));
      else if (m.t === 'req') c.write(encode({ t: 'res', id: m.id, ok: { columns: [], rows: [], rowsAffected: 1, lastInsertRowid: 1 } }));
    }
  });
}).listen(socketPath, () => {
  fs.writeFileSync(recordPath + '.rogue', JSON.stringify({ pid: process.pid, name: 'rogue', epoch: 99, socketPath, startedAt: Date.now(), version: '0.1.0' }));
  fs.renameSync(recordPath + '.rogue', recordPath);
  console.log('READY');
});`;

// Found by this test: members connected to whatever socket the leader record named.
// Where another user can write to the database's directory (group-shared or world-writable),
// that user could rename a record of their own over the leader's and redirect every member
// connecting afterwards to a socket they control, which read every statement and acknowledged
// writes that never reached the database. Members now trust only a record that is a regular
// file owned by their own user, and reach the real leader.
(asRoot ? test : test.skip)(
  `a leader record planted by another user does not redirect members to that user's socket${needsRoot}`,
  async () => {
    const { file, env } = setup();
    const dir = path.dirname(file);
    const leader = await startMember({ path: file, name: 'leader' }, env);
    fs.chmodSync(dir, 0o777); // the misconfiguration: another user may write next to the database
    const evil = path.join(dir, 'evil');
    fs.mkdirSync(evil, { mode: 0o777 });
    fs.chmodSync(evil, 0o777);
    const rogue = spawn(
      process.execPath,
      ['-e', ROGUE_LEADER, path.join(evil, 'rogue.sock'), storePaths(file).record],
      { uid: NOBODY, gid: NOBODY, cwd: '/', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const seen: string[] = [];
      await new Promise<void>((resolve, reject) => {
        rogue.stdout.on('data', (chunk: Buffer) => {
          seen.push(...chunk.toString().trim().split('\n'));
          if (seen.includes('READY')) resolve();
        });
        rogue.once('exit', (code) => reject(new Error(`the rogue leader exited with ${code}`)));
      });
      const follower = await startMember({ path: file, name: 'follower', candidate: false }, env);
      const write = await follower.exec("INSERT INTO rows (id, member) VALUES ('secret', 'follower')");
      expect(write.code).toBeUndefined();
      const stored = await leader.exec("SELECT count(*) AS n FROM rows WHERE id = 'secret'");
      expect(stored.ok).toMatchObject({ rows: [{ n: 1 }] });
      expect(seen.filter((line) => line.includes('secret'))).toEqual([]);
    } finally {
      rogue.kill('SIGKILL');
    }
  },
);
