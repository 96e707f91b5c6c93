/**
 * Guarantee 4, exactly once, where a crash hurts most: the leader SIGKILLed right after COMMIT
 * and before any reply (the fault hook `crash-after-commit`), for a batch and for an
 * interactive transaction's commit. The member re-sends the request to the next leader, which
 * answers it from the applied-requests record; nothing is applied twice. The rows table has no
 * key on `id`, so a second application would show as a second row with the same value.
 */
import * as path from 'node:path';
import { killAll, startMember } from './helpers/fleet';
import { removeSockets, socketOf } from './helpers/sockets';
import { sqliteCli } from './helpers/sqlite-cli';
import { removeTempDirs, tempDir } from './helpers/temp';

jest.setTimeout(120_000);

afterEach(async () => {
  await killAll();
  removeSockets();
  removeTempDirs();
});

const FAULT = { BATON_FAULT: 'crash-after-commit:/*after-commit*/' };

test('a batch whose leader dies after COMMIT and before replying: the re-send is answered with the original results, and each row exists once', async () => {
  const file = path.join(tempDir(), 'batch.db');
  socketOf(file);
  const first = await startMember({ path: file, name: 'first' }, FAULT);
  const writer = await startMember({ path: file, name: 'writer', candidate: false });
  const standby = await startMember({ path: file, name: 'standby' });
  const failover = writer.waitForNext((e) => e.ev === 'failover', 30_000);
  const result = await writer.call((ref) => ({
    cmd: 'batch',
    ref,
    stmts: [
      { sql: "INSERT INTO rows (id, member) VALUES ('batch-1', 'writer') RETURNING id" },
      { sql: "INSERT INTO rows (id, member) VALUES ('batch-2', 'writer') /*after-commit*/ RETURNING id" },
      { sql: "UPDATE rows SET epoch = 7 WHERE id LIKE 'batch-%'" },
    ],
  }));
  await first.whenExited();
  expect(first.child.signalCode).toBe('SIGKILL'); // killed by the hook, after its COMMIT
  expect(await failover).toMatchObject({ fromPid: first.pid, toPid: standby.pid });
  expect(result.code).toBeUndefined();
  // The original results, from the record: the new leader did not run the batch again.
  expect(result.ok).toEqual([
    { rows: [{ id: 'batch-1' }], rowsAffected: 1 },
    { rows: [{ id: 'batch-2' }], rowsAffected: 1 },
    { rows: [], rowsAffected: 2 },
  ]);
  for (const m of [writer, standby]) m.send({ cmd: 'close' });
  await Promise.all([writer, standby].map((m) => m.whenExited()));
  expect(sqliteCli(file, 'SELECT id, count(*), epoch FROM rows GROUP BY id ORDER BY id')).toEqual([
    'batch-1|1|7',
    'batch-2|1|7',
  ]);
});

test('an interactive transaction whose leader dies after its COMMIT and before replying: the re-sent commit is answered from the record, and its row exists once', async () => {
  const file = path.join(tempDir(), 'transaction.db');
  socketOf(file);
  const first = await startMember({ path: file, name: 'first' }, FAULT);
  const holder = await startMember({ path: file, name: 'holder', candidate: false });
  const standby = await startMember({ path: file, name: 'standby' });
  const opened = await holder.call((ref) => ({
    cmd: 'txBegin',
    ref,
    id: 'in-transaction',
    marker: '/*after-commit*/',
  }));
  expect(opened.ok).toBe('open');
  const failover = holder.waitForNext((e) => e.ev === 'failover', 30_000);
  const commit = await holder.call((ref) => ({ cmd: 'txCommit', ref }));
  await first.whenExited();
  expect(first.child.signalCode).toBe('SIGKILL');
  expect(await failover).toMatchObject({ fromPid: first.pid, toPid: standby.pid });
  // Committed by the dead leader; the next one found the commit's record and said so.
  expect(commit).toMatchObject({ ok: 'committed' });
  for (const m of [holder, standby]) m.send({ cmd: 'close' });
  await Promise.all([holder, standby].map((m) => m.whenExited()));
  expect(sqliteCli(file, 'SELECT id, count(*) FROM rows GROUP BY id')).toEqual(['in-transaction|1']);
});
