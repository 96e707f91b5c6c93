/**
 * Entry point of the leader worker thread. It runs in the member that won the election, off
 * that member's main thread, so a host program that blocks its own event loop does not stall
 * the rest of the fleet. Candidates create it ahead of time (a standby): modules loaded, it
 * warms the request path up on a scratch database (warm-up.ts) and waits for `start`, so a
 * failover pays neither for booting a thread and loading SQLite nor for a cold engine.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import * as path from 'node:path';
import { StoreError, toStoreError } from '../errors';
import { createDatabaseFile } from '../file-modes';
import {
  ensurePrivateDirectory,
  linkSocketToLock,
  readLeaderRecord,
  recordedFileAt,
  sameRecordedFile,
  unlinkSocketLink,
  writeFileAtomic,
  type LeaderRecord,
  type RecordedFile,
} from '../paths';
import { quarantineCompanions } from './database-files';
import { maybeCrashBeforeRecord } from './fault-injection';
import { LeaderEngine } from './engine';
import { BusyMarker } from '../protocol/busy-marker';
import { LeaderServer } from './server';
import { WarmUp, warmUpInBackground } from './warm-up';
import type { FromWorker, ToWorker, WorkerInput } from '../protocol/worker-messages';

const input = workerData as WorkerInput;
// Load SQLite's native addon now, while this thread is a standby, not when it wins an election.
new Database(':memory:').close();
const port = parentPort!;
const post = (message: FromWorker): void => port.postMessage(message);
const marker = new BusyMarker(input.marker);
/** Room for the response around a result: `{ t, id, ok }`. */
const RESPONSE_ENVELOPE_BYTES = 64;

/** Why starting failed, coded: SQLite's errors keep their code, anything else is LEADER_FAILED. */
function startFailure(error: unknown): FromWorker {
  const code = (error as { code?: unknown } | null)?.code;
  const coded = error instanceof StoreError || (typeof code === 'string' && code.startsWith('SQLITE_'));
  const failure = coded
    ? toStoreError(error)
    : new StoreError('LEADER_FAILED', error instanceof Error ? error.message : String(error));
  return { t: 'failed', err: failure.toWire() };
}

/**
 * SQLite would create a missing database with 0644 less the umask (and its -wal and -shm with
 * the database's mode): create it first, empty, with the store's mode. An existing file is
 * left as it is. A file this process cannot create, SQLite cannot open either, and it says why
 * with its own code when the engine opens it.
 */
function createDatabase(): void {
  try {
    createDatabaseFile(input.databasePath, input.fileMode);
  } catch {
    // reported by SQLite
  }
}

/**
 * The -wal and -shm beside the database path belong to the file the last leader opened (its
 * record names it). When the path now names another file, or none, that file was replaced or
 * deleted while no leader watched it (the last one died first, or the fleet was down): SQLite
 * would replay the old file's WAL into this one, the "malformed" of the original incident. So,
 * holding the election lock and before anything opens the path, move them aside (kept, as a
 * leader that notices a replacement keeps them), create the file if there is none, and make the
 * record name the file at the path before opening it. Without that last step a leader that died
 * after its first commit here and before writing its own record would leave a record naming the
 * old file, and the next leader would take this file's live WAL, with the commits acknowledged
 * in it, for the old file's and move it aside.
 * @returns where the old file's companions were moved
 */
function adoptFileAtPath(): string[] {
  const record = readLeaderRecord(input.recordPath);
  const before = recordedFileAt(input.databasePath);
  if (record?.file === undefined || (before !== null && sameRecordedFile(before, record.file))) {
    createDatabase();
    return [];
  }
  const setAside = quarantineCompanions(input.databasePath, record.epoch);
  createDatabase();
  const file = recordedFileAt(input.databasePath);
  if (file !== null) writeLeaderRecord({ ...record, file });
  return setAside;
}

/** Replaces the leader record. Advisory, so not fsynced: a record torn by a power cut is rewritten by the next leader. */
function writeLeaderRecord(record: LeaderRecord): void {
  writeFileAtomic(input.recordPath, JSON.stringify(record) + '\n', { durable: false, mode: input.fileMode });
}

/** The file the engine opened, for the record; undefined if the path already names another. */
function openedFile(engine: LeaderEngine): RecordedFile | undefined {
  const now = recordedFileAt(input.databasePath);
  const opened = engine.inode;
  return now !== null && opened !== null && now.dev === opened.dev && now.ino === opened.ino ? now : undefined;
}

async function lead(electionStartedAt: number): Promise<void> {
  const startedAt = Date.now();
  let engine: LeaderEngine;
  let setAside: string[];
  try {
    ensurePrivateDirectory(path.dirname(input.socketPath));
    // Before the socket exists, so that no socket of ours is ever without the link that lets
    // a sweeper prove it dead once we are.
    linkSocketToLock(input.socketLink, input.lockPath);
    setAside = adoptFileAtPath();
    engine = LeaderEngine.open({
      databasePath: input.databasePath,
      synchronous: input.synchronous,
      pid: input.pid,
      name: input.name,
      electionStartedAt,
      marker,
      maxResultBytes: input.maxFrameBytes - RESPONSE_ENVELOPE_BYTES,
    });
  } catch (error) {
    post(startFailure(error));
    return;
  }
  const server = new LeaderServer(
    engine,
    {
      pid: input.pid,
      name: input.name,
      socketPath: input.socketPath,
      startedAt,
      version: input.version,
      databasePath: input.databasePath,
      maxFrameBytes: input.maxFrameBytes,
      runawayPath: input.runawayPath,
    },
    marker,
  );
  port.on('message', (message: ToWorker) => {
    if (message.t === 'stop') server.stop({ reason: message.reason, graceful: message.graceful });
  });
  try {
    await server.listen((report) => {
      // A leader that steps down cleanly leaves no link: its socket is gone, and no other leader
      // of this database can have linked one under the same name while this one held the lock.
      // A fenced leader leaves it: with the lockfile lease its successor may already have.
      if (report.graceful) unlinkSocketLink(input.socketLink, input.lockPath);
      post({ t: 'stopped', reason: report.reason, graceful: report.graceful });
      port.close();
    });
  } catch (error) {
    engine.close();
    post(startFailure(error));
    return;
  }
  // Ready as soon as the socket listens: the hosting member connects at once (it knows the
  // socket path), and the record below wakes every other member.
  post({ t: 'ready', epoch: engine.epoch, setAside });
  maybeCrashBeforeRecord();
  try {
    writeLeaderRecord({
      pid: input.pid,
      name: input.name,
      epoch: engine.epoch,
      socketPath: input.socketPath,
      startedAt,
      version: input.version,
      file: openedFile(engine),
    });
  } catch (error) {
    // A leader nobody can find is no use: stop (the database is closed before the main thread
    // hears of it and releases the lock).
    server.stop({ reason: `the leader record could not be written: ${(error as Error).message}`, graceful: false });
  }
}

// Until `start`: the warm-up gives way to it at once (a slice at most), and a leader started
// before its warm-up is over (no standby) serves its first requests colder.
const warming = warmUpInBackground(
  () =>
    new WarmUp({
      synchronous: input.synchronous,
      pid: input.pid,
      name: input.name,
      maxFrameBytes: input.maxFrameBytes,
    }),
  (report) => post({ t: 'warmed', ...report }),
);

port.once('message', (message: ToWorker) => {
  warming.stop();
  if (message.t === 'start') void lead(message.electionStartedAt);
});
