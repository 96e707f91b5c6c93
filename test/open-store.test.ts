/** A store as a program sees it from outside: what it awaits settles before the process may exit. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ROWS_MIGRATION } from './fixtures/member-protocol';
import { killAll, startMember } from './helpers/fleet';
import { removeTempDirs, tempDir } from './helpers/temp';

const run = promisify(execFile);
const scripts: ChildProcess[] = [];

afterEach(async () => {
  for (const script of scripts.splice(0)) script.kill('SIGKILL');
  await killAll();
  removeTempDirs();
});

test('openStore with no leader and no candidacy rejects with NO_LEADER instead of letting the process exit silently', async () => {
  const file = path.join(tempDir(), 'nobody.db');
  const store = require.resolve('@baton/store');
  const script = `require(${JSON.stringify(store)}).openStore({ path: ${JSON.stringify(file)}, candidate: false, requestTimeoutMs: 500 })
    .then(() => console.log('opened'), (e) => console.log('rejected ' + e.code))`;
  const { stdout } = await run(process.execPath, ['-e', script], { timeout: 30_000 });
  expect(stdout.trim()).toBe('rejected NO_LEADER');
});

test('a program whose only work is awaiting writes keeps running through a failover instead of exiting mid-await', async () => {
  const file = path.join(tempDir(), 'awaiting.db');
  const leader = await startMember({ path: file, name: 'first-leader' });
  await leader.waitFor((e) => (e.ev === 'opened' || e.ev === 'role') && e.role === 'leader');
  await startMember({ path: file, name: 'successor' });
  // No IPC, no stdin, no timers of its own: only the store's handles can keep it alive.
  const script = `(async () => {
    const store = await require(${JSON.stringify(require.resolve('@baton/store'))}).openStore({ path: ${JSON.stringify(file)}, candidate: false,
      migrations: [{ version: 1, sql: ${JSON.stringify(ROWS_MIGRATION)} }] });
    const firstEpoch = store.epoch;
    let after = 0;
    for (let i = 0; after < 5; i++) {
      await store.execute('INSERT INTO rows (id, member) VALUES (?, ?)', ['script-' + i, 'script']);
      if (i === 0) console.log('writing');
      if (store.epoch > firstEpoch) after++;
    }
    await store.close();
    console.log('done at epoch ' + store.epoch);
  })();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  scripts.push(child);
  let stdout = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('writing')) resolve();
    });
    void exited.then(() => reject(new Error(`the script exited before writing: ${stdout}`)));
  });
  leader.kill();
  expect(await exited).toBe(0);
  expect(stdout).toMatch(/done at epoch [2-9]/);
});
