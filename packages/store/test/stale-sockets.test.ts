/**
 * The sweep of dead leaders' sockets, case by case, on real sockets left by SIGKILLed
 * processes: removed only with proof that nobody leads (this process takes the lock, or the
 * lock file and its directory are gone and nobody holds it open); kept on any doubt.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { linkSocketToLock, socketDigest } from '../src/paths';
import { removeStaleSockets } from '../src/stale-sockets';

let dir: string;
let runtime: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-sweep-unit-'));
  runtime = path.join(dir, 'runtime');
  fs.mkdirSync(runtime, { mode: 0o700 });
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A socket file at `socket` whose process died without removing it (SIGKILL). */
function leaveDeadSocket(socket: string): void {
  const script = `require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))`;
  const result = spawnSync(process.execPath, ['-e', script, socket], { timeout: 20_000 });
  expect(result.signal).toBe('SIGKILL');
  expect(fs.lstatSync(socket).isSocket()).toBe(true);
}

/** A database in its own directory, with its lock file, a dead socket and the link to the lock, as a leader leaves them. */
function deadLeader(name: string): { database: string; lock: string; socket: string; link: string } {
  const databaseDir = path.join(dir, name);
  fs.mkdirSync(databaseDir);
  const database = path.join(databaseDir, `${name}.db`);
  const lock = `${database}-baton.lock`;
  fs.writeFileSync(lock, '');
  const socket = path.join(runtime, `${socketDigest(database)}.sock`);
  const link = path.join(runtime, `${socketDigest(database)}.lock`);
  leaveDeadSocket(socket);
  linkSocketToLock(link, lock);
  return { database, lock, socket, link };
}

/** Starts a process that runs `script` (argv[1] = `file`) and resolves once it prints READY. */
async function holder(script: string, file: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', script, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('READY') && resolve());
    child.once('exit', () => reject(new Error('the holder exited early')));
  });
}

const FLOCK_HOLDER = `const fd = require('fs').openSync(process.argv[1], 'r+'); require(${JSON.stringify(require.resolve('fs-ext'))}).flockSync(fd, 'exnb'); console.log('READY'); setInterval(() => {}, 1000);`;
const OPEN_HOLDER = `require('fs').openSync(process.argv[1], 'r'); console.log('READY'); setInterval(() => {}, 1000);`;

test('a socket whose lock nobody holds is removed with its link', () => {
  const dead = deadLeader('dead');
  expect(removeStaleSockets(runtime)).toEqual([dead.socket]);
  expect(fs.readdirSync(runtime)).toEqual([]);
  expect(fs.existsSync(dead.lock)).toBe(true); // the lock file is never unlinked
});

test('a socket whose lock another process holds is kept', async () => {
  const live = deadLeader('live');
  await holder(FLOCK_HOLDER, live.lock);
  expect(removeStaleSockets(runtime)).toEqual([]);
  expect(fs.lstatSync(live.socket).isSocket()).toBe(true);
  expect(fs.readlinkSync(live.link)).toBe(live.lock);
});

test('a socket whose lock file and directory are gone is removed, unless a process still has the deleted lock file open', async () => {
  const gone = deadLeader('gone');
  const held = deadLeader('held');
  await holder(OPEN_HOLDER, held.lock);
  fs.rmSync(path.dirname(gone.lock), { recursive: true });
  fs.rmSync(path.dirname(held.lock), { recursive: true });
  expect(removeStaleSockets(runtime)).toEqual([gone.socket]);
  expect(fs.lstatSync(held.socket).isSocket()).toBe(true);
});

test('on any doubt the socket is kept: lock file missing in an existing directory, a lease directory, a link that names another database, no link', () => {
  const missing = deadLeader('missing');
  fs.rmSync(missing.lock);
  const leased = deadLeader('leased');
  fs.mkdirSync(`${leased.lock}.lock`); // a lock: 'lockfile' leader's lease
  const foreign = deadLeader('foreign');
  linkSocketToLock(foreign.link, missing.lock.replace('missing', 'other')); // names a lock whose database hashes elsewhere
  const unlinked = deadLeader('unlinked');
  fs.rmSync(unlinked.link);

  expect(removeStaleSockets(runtime)).toEqual([]);
  for (const kept of [missing, leased, foreign, unlinked]) expect(fs.lstatSync(kept.socket).isSocket()).toBe(true);
});
