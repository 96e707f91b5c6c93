/**
 * Graceful handover in one process: a leader that closes finishes other members' work, their
 * open transaction included, and another candidate takes over.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openStore, type Store } from '../src';
import { FlockElection } from '../src/election/flock-election';

const MIGRATIONS = [{ version: 1, sql: 'CREATE TABLE t (id TEXT PRIMARY KEY)' }];
let dir: string;
const stores: Store[] = [];

async function open(name: string, file: string): Promise<Store> {
  const store = await openStore({ path: file, name, migrations: MIGRATIONS });
  stores.push(store);
  return store;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-handover-'));
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a closing leader lets an open transaction of another member commit, then hands over', async () => {
  const file = path.join(dir, 'handover.db');
  const leader = await open('leader', file);
  const member = await open('member', file);
  expect(leader.role).toBe('leader');

  const tx = await member.transaction('write');
  await tx.execute("INSERT INTO t VALUES ('inside')");
  const closing = leader.close();
  await tx.execute("INSERT INTO t VALUES ('still inside')");
  await tx.commit();
  await closing;

  expect(leader.role).toBe('closed');
  const { rows } = await member.execute('SELECT id FROM t ORDER BY id');
  expect(rows).toEqual([{ id: 'inside' }, { id: 'still inside' }]);
  expect(member.role).toBe('leader');
});

test('requests of a member in flight while its leader closes are answered by the next leader', async () => {
  const file = path.join(dir, 'in-flight.db');
  const leader = await open('leader', file);
  const member = await open('member', file);
  const writes = Array.from({ length: 200 }, (_, i) => member.execute('INSERT INTO t VALUES (?)', [`w${i}`]));
  await leader.close();
  const results = await Promise.all(writes);
  expect(results.every((r) => r.rowsAffected === 1)).toBe(true);
  const { rows } = await member.execute('SELECT count(*) AS n FROM t');
  expect(rows[0]!.n).toBe(200);
});

test('close is idempotent and later calls refuse with CLIENT_CLOSED, as libsql', async () => {
  const store = await open('solo', path.join(dir, 'solo.db'));
  const first = store.close();
  expect(store.close()).toBe(first);
  await first;
  expect(store.closed).toBe(true);
  await expect(store.execute('SELECT 1')).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
});

test('a transaction the leader grants after its member gave up waiting is rolled back, not left holding the writer', async () => {
  const file = path.join(dir, 'late-begin.db');
  const holder = await open('holder', file);
  // Long enough for joining on a loaded machine (opening is bounded by it too); the transaction
  // below times out whatever its length, since the holder keeps the writer until it commits.
  const impatient = await openStore({ path: file, name: 'impatient', migrations: MIGRATIONS, requestTimeoutMs: 3000 });
  stores.push(impatient);
  const held = await holder.transaction('write');
  await expect(impatient.transaction('write')).rejects.toMatchObject({ code: 'TIMEOUT' });
  await held.commit();
  // The late grant was rolled back by the member: the writer is free and it may begin again.
  await holder.execute("INSERT INTO t VALUES ('writer free')");
  const again = await impatient.transaction('write');
  await again.execute("INSERT INTO t VALUES ('second try')");
  await again.commit();
  const { rows } = await holder.execute('SELECT count(*) AS n FROM t');
  expect(rows[0]!.n).toBe(2);
});

test('two names of one database file (a symlink) meet at one leader', async () => {
  const file = path.join(dir, 'real.db');
  const first = await open('by-real-name', file);
  const link = path.join(dir, 'link.db');
  fs.symlinkSync(file, link);
  const second = await open('by-link', link);
  expect(first.role).toBe('leader');
  expect(second.role).toBe('follower');
});

test('a symlink whose target does not exist yet: members opening either name meet at one leader', async () => {
  const target = path.join(dir, 'later.db');
  const link = path.join(dir, 'link-first.db');
  fs.symlinkSync(target, link);
  const first = await open('through-the-link', link);
  expect(fs.existsSync(target)).toBe(true);
  const second = await open('by-the-target', target);
  const third = await open('through-the-link-again', link);
  expect([first.role, second.role, third.role]).toEqual(['leader', 'follower', 'follower']);
});

test('a member closed while it is taking over stops the engine it was starting: the next member leads', async () => {
  const file = path.join(dir, 'closed-while-taking-over.db');
  const leader = await open('leader', file);
  const heir = await open('heir', file);
  // Close the heir at the worst moment: it has just won the election lock (the real flock) and
  // is about to start its engine. Its close() is called before tryAcquire's caller resumes.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the spied instance as `this`
  const acquire = FlockElection.prototype.tryAcquire;
  let closeHeir: () => void = () => undefined;
  const heirClosed = new Promise<void>((resolve) => (closeHeir = () => void heir.close().then(resolve)));
  const spy = jest.spyOn(FlockElection.prototype, 'tryAcquire').mockImplementation(async function (
    this: FlockElection,
  ) {
    const lock = await acquire.call(this);
    if (lock !== null) closeHeir();
    return lock;
  });
  try {
    await leader.close();
    await heirClosed;
  } finally {
    spy.mockRestore();
  }
  expect(heir.role).toBe('closed');
  // Its close() stopped that engine and released the lock: a newcomer leads.
  const newcomer = await open('newcomer', file);
  expect(newcomer.role).toBe('leader');
});
