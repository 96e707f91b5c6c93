/**
 * A fleet of Node and Python members sharing one database under faults. Leadership passes
 * between the languages by SIGKILL (four times: Python to Node, Node to Python, twice each) and
 * by graceful handover (twice), while a Node and a Python member that never lead keep writing,
 * with every candidate writing too, and a short-lived member of either language runs "init"
 * (opens with the migrations, closes) after each change. Then: no acknowledged write lost, none applied twice,
 * `integrity_check` ok, and the exact opener tracker (fanotify) saw at most one process holding
 * the database, its -wal or its -shm at every instant, and only the leaders the database records.
 */
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { ROWS_MIGRATION } from './fixtures/member-protocol';
import { isLeader, killAll, startMember, until, type Member } from './helpers/fleet';
import { OpenerTracker, stopTrackers } from './helpers/opener-tracker';
import { startPythonMember, stopPythonMembers, type PythonMember } from './helpers/python-member';
import { removeTempDirs, tempDir } from './helpers/temp';

jest.setTimeout(300_000);

afterEach(async () => {
  await killAll();
  await stopPythonMembers();
  await stopTrackers();
  removeTempDirs();
});

const MIGRATIONS = [{ version: 1, sql: ROWS_MIGRATION }];

/** A member of either language, as this test drives it. */
interface Fleeter {
  language: 'node' | 'python';
  name: string;
  pid: number;
  acked: Set<string>;
  failures: () => unknown[];
  leads: () => boolean;
  write: () => void;
  stopWriting: () => Promise<void>;
  /** SIGKILLs it and resolves once the process has exited. */
  kill: () => Promise<void>;
  close: () => Promise<void>;
  exited: () => boolean;
}

function node(member: Member): Fleeter {
  return {
    language: 'node',
    name: member.name,
    pid: member.pid,
    acked: member.acked,
    failures: () => member.failed,
    leads: () => isLeader(member),
    write: () => member.send({ cmd: 'writeLoop', prefix: member.name }),
    stopWriting: async () => {
      member.send({ cmd: 'stopLoop' });
      await member.waitFor((e) => e.ev === 'writeDone');
    },
    kill: () => {
      member.kill();
      return member.whenExited();
    },
    close: async () => {
      member.send({ cmd: 'close' });
      await member.whenExited();
    },
    exited: () => member.child.exitCode !== null || member.child.signalCode !== null,
  };
}

function python(member: PythonMember, name: string): Fleeter {
  return {
    language: 'python',
    name,
    pid: member.pid,
    acked: member.acked,
    failures: () => member.failed,
    leads: () => member.leads,
    write: () => member.send({ cmd: 'writeLoop', prefix: name }),
    stopWriting: async () => {
      member.send({ cmd: 'stopLoop' });
      await member.waitFor((e) => e.ev === 'loopDone');
    },
    kill: () => {
      member.kill();
      return member.whenExited();
    },
    close: () => member.stop(),
    exited: () => member.child.exitCode !== null || member.child.signalCode !== null,
  };
}

async function start(language: 'node' | 'python', file: string, name: string, candidate = true): Promise<Fleeter> {
  if (language === 'node') return node(await startMember({ path: file, name, candidate, migrations: MIGRATIONS }));
  return python(await startPythonMember({ path: file, name, candidate, migrations: MIGRATIONS }), name);
}

async function writingAgain(members: Fleeter[]): Promise<void> {
  const before = new Map(members.map((m) => [m, m.acked.size]));
  const progress = (): string =>
    members.map((m) => `${m.name} ${before.get(m)} -> ${m.acked.size}${m.leads() ? ' (leads)' : ''}`).join(', ');
  await until(() => members.every((m) => m.acked.size >= before.get(m)! + 5), 60_000, 'the fleet writing again').catch(
    (error: Error) => {
      throw new Error(`${error.message}: ${progress()}`);
    },
  );
}

test('leadership passes between Node and Python (4 kills, 2 handovers) with nothing lost or applied twice and one opener', async () => {
  const file = path.join(tempDir('baton-mixed-'), 'mixed.db');
  const tracker = await OpenerTracker.start(file);
  const all: Fleeter[] = [];
  let leader = await start('python', file, 'py-lead-0');
  all.push(leader);
  expect(leader.leads()).toBe(true);
  const writers = [await start('node', file, 'node-writer', false), await start('python', file, 'py-writer', false)];
  all.push(...writers);
  for (const m of all) m.write();
  await writingAgain(all);

  const languages = ['node', 'python', 'node', 'python', 'node', 'python'] as const;
  for (let round = 0; round < languages.length; round++) {
    const graceful = round >= 4;
    const next = await start(languages[round]!, file, `${languages[round]}-lead-${round + 1}`);
    all.push(next);
    next.write();
    const writing = all.filter((m) => !m.exited());
    await writingAgain(writing);
    const victim = leader;
    // Waited for, so that the survivors below are known: a killed process's exit is reported late on a busy machine.
    if (graceful) await victim.close();
    else await victim.kill();
    await until(next.leads, 60_000, `${next.name} leading after round ${round}`);
    leader = next;
    await writingAgain(writing.filter((m) => m !== victim));
    // "init" under load, as an operator runs it: a short-lived member of the other language
    // opens the store with the same migrations (the leader finds them applied) and closes.
    const init = await start(languages[round] === 'node' ? 'python' : 'node', file, `init-${round}`, false);
    await init.close();
  }

  const live = all.filter((m) => !m.exited());
  await Promise.all(live.map((m) => m.stopWriting()));
  for (const m of live) await m.close();
  await tracker.stop();

  expect(tracker.overlaps()).toEqual([]);
  const db = new Database(file, { readonly: true });
  try {
    const leaders = db.prepare('SELECT pid FROM _baton_epochs ORDER BY epoch').all() as { pid: number }[];
    expect(new Set(tracker.openers())).toEqual(new Set(leaders.map((l) => l.pid)));
    const languageOf = new Map(all.map((m) => [m.pid, m.language]));
    const order = leaders.map((l) => languageOf.get(l.pid));
    const changes = order.slice(1).filter((language, i) => language !== order[i]);
    expect(changes.filter((l) => l === 'node').length).toBeGreaterThanOrEqual(3);
    expect(changes.filter((l) => l === 'python').length).toBeGreaterThanOrEqual(3);

    const duplicated = db.prepare('SELECT id FROM rows GROUP BY id HAVING count(*) > 1').all();
    expect(duplicated).toEqual([]);
    const present = new Set((db.prepare('SELECT id FROM rows').all() as { id: string }[]).map((r) => r.id));
    const acked = all.flatMap((m) => [...m.acked]);
    expect(acked.length).toBeGreaterThan(100);
    expect(acked.filter((id) => !present.has(id))).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  } finally {
    db.close();
  }
  // The members that never led lost no write to a failover.
  expect(writers.flatMap((m) => m.failures())).toEqual([]);
});
