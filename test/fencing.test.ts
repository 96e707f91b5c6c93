/**
 * Guarantee 2, one committer per epoch, against a real stale leader: two processes that both
 * believe they lead. The stale one is a leader whose host program's main thread is blocked
 * (so neither its lease refresh nor its lock-file check can run: only its engine thread runs
 * on), and who lost the election meanwhile: with the lockfile lease, it was paused (SIGSTOP)
 * past the lease and a new member took over; with flock, its lock file was replaced and a new
 * member locked the new one. Then a raw client that is still connected to the stale engine
 * asks it to commit, a group commit or an interactive transaction's commit. The fence must
 * refuse it: the client sees the refusal's code (the leader's goodbye says `FENCED: epoch 1 was
 * superseded by 2`), never an answer, and nothing of it reaches the database.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { storePaths } from '@baton/store';
import { killAll, startMember, until, type Member } from './helpers/fleet';
import { RawSession } from './helpers/raw-socket';
import { removeSockets, socketOf } from './helpers/sockets';
import { removeTempDirs, tempDir } from './helpers/temp';

jest.setTimeout(120_000);

const stopped: Member[] = [];
const sessions: RawSession[] = [];
afterEach(async () => {
  for (const member of stopped.splice(0)) member.kill('SIGCONT');
  for (const session of sessions.splice(0)) session.close();
  await killAll();
  removeSockets();
  removeTempDirs();
});

const FENCE = 'FENCED: epoch 1 was superseded by 2';

type Scenario = 'lockfile lease, paused holder' | 'flock, replaced lock file';

/**
 * Makes `old` (leading epoch 1, main thread blocked) stale: another member leads epoch 2.
 * `beforeResume` runs while the stale leader cannot run at all (lockfile: paused).
 */
async function overtake(scenario: Scenario, file: string, old: Member, beforeResume: () => void): Promise<Member> {
  if (scenario === 'lockfile lease, paused holder') {
    stopped.push(old);
    old.kill('SIGSTOP');
    // The new member tries the lease until it is stale (2 s unrefreshed), then leads.
    const next = await startMember({ path: file, name: 'next', lock: 'lockfile' });
    beforeResume();
    old.kill('SIGCONT');
    return next;
  }
  const lock = storePaths(file).lock;
  fs.writeFileSync(`${lock}.new`, '');
  fs.renameSync(`${lock}.new`, lock);
  const next = await startMember({ path: file, name: 'next' });
  beforeResume();
  return next;
}

/** Once every member is gone: only the new leader's row is in the file, and the history names both leaders. */
async function expectOnlyTheNewLeadersWork(file: string): Promise<void> {
  await killAll();
  const { ids, epochs } = readRows(file);
  expect(ids).toEqual(['after']);
  expect(epochs).toEqual([
    { epoch: 1, name: 'old' },
    { epoch: 2, name: 'next' },
  ]);
}

function readRows(file: string): { ids: string[]; epochs: { epoch: number; name: string }[] } {
  const db = new Database(file, { readonly: true });
  try {
    const ids = (db.prepare('SELECT id FROM rows ORDER BY id').all() as { id: string }[]).map((r) => r.id);
    const epochs = db.prepare('SELECT epoch, name FROM _baton_epochs ORDER BY epoch').all() as {
      epoch: number;
      name: string;
    }[];
    return { ids, epochs };
  } finally {
    db.close();
  }
}

describe.each<Scenario>(['lockfile lease, paused holder', 'flock, replaced lock file'])(
  'a stale leader (%s)',
  (scenario) => {
    const lock = scenario === 'lockfile lease, paused holder' ? ('lockfile' as const) : ('flock' as const);

    /** Starts the leader-to-be-stale and a raw client on its socket, and blocks its main thread. */
    async function staleSetup(
      name: string,
    ): Promise<{ file: string; old: Member; raw: RawSession; release: () => void }> {
      const dir = tempDir();
      const file = path.join(dir, name);
      const socket = socketOf(file);
      const old = await startMember({ path: file, name: 'old', lock });
      expect(old.events[0]).toMatchObject({ ev: 'opened', role: 'leader', epoch: 1 });
      const raw = await RawSession.open(socket, 'raw');
      sessions.push(raw);
      const startedFile = path.join(dir, 'busy-started');
      const releaseFile = path.join(dir, 'busy-release');
      old.send({ cmd: 'busy', startedFile, releaseFile });
      await until(() => fs.existsSync(startedFile), 30_000, 'the old leader to block its main thread');
      return { file, old, raw, release: () => fs.writeFileSync(releaseFile, '') };
    }

    /** After the refusal: the stale member reports the fence as its reason to step down, then follows. */
    async function expectSteppedDownByFence(old: Member, next: Member, release: () => void): Promise<void> {
      const steppedDown = old.waitForNext((e) => e.ev === 'error' && e.code === 'LEADER_FAILED', 30_000);
      release();
      expect(await steppedDown).toMatchObject({
        message: `LEADER_FAILED: the leader hosted here stepped down: ${FENCE}`,
      });
      const viaNext = await old.exec("INSERT INTO rows (id, member) VALUES ('after', 'old')");
      expect(viaNext.code).toBeUndefined();
      expect(old.events.some((e) => e.ev === 'failover' && e.toPid === next.pid)).toBe(true);
    }

    test('its group commit is refused by the fence: the client is told FENCED, never answered, and nothing is committed', async () => {
      const { file, old, raw, release } = await staleSetup('group.db');
      const write = {
        t: 'req',
        id: 1,
        op: { k: 'execute', stmt: { sql: "INSERT INTO rows (id, member) VALUES ('stale-group', 'raw')" } },
      };
      const next = await overtake(scenario, file, old, () => raw.send(write));
      if (scenario === 'flock, replaced lock file')
        expect(next.events[0]).toMatchObject({ ev: 'opened', role: 'leader', epoch: 2 });

      await raw.whenClosed();
      expect(raw.frames.slice(1)).toEqual([{ t: 'bye', reason: FENCE }]); // after the welcome: the refusal, no answer
      await expectSteppedDownByFence(old, next, release);
      await expectOnlyTheNewLeadersWork(file);
    });

    test("its interactive transaction's commit is refused by the fence: the client is told FENCED, never answered, and nothing is committed", async () => {
      const { file, old, raw, release } = await staleSetup('transaction.db');
      const next = await overtake(scenario, file, old, () => undefined);
      // The transaction begins on the stale engine after the new leader took epoch 2 (a write
      // transaction held across the takeover would keep the new leader from committing its epoch).
      raw.send({ t: 'req', id: 1, op: { k: 'begin', mode: 'write', timeoutMs: 30_000 } });
      const begun = (await raw.next()) as { t: string; id: number; ok: { txId: number } };
      expect(begun).toMatchObject({ t: 'res', id: 1, ok: { txId: expect.any(Number) } });
      const txId = begun.ok.txId;
      raw.send({
        t: 'req',
        id: 2,
        op: { k: 'execute', txId, stmt: { sql: "INSERT INTO rows (id, member) VALUES ('stale-transaction', 'raw')" } },
      });
      expect(await raw.next()).toMatchObject({ t: 'res', id: 2, ok: { rowsAffected: 1 } });
      raw.send({ t: 'req', id: 3, op: { k: 'commit', txId } });

      await raw.whenClosed();
      expect(raw.frames.slice(3)).toEqual([{ t: 'bye', reason: FENCE }]); // the commit got the refusal, no answer
      await expectSteppedDownByFence(old, next, release);
      await expectOnlyTheNewLeadersWork(file);
    });
  },
);
