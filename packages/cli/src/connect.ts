/**
 * How a command reaches the leader. The CLI is an observer: it joins as a non-candidate, so it
 * never takes the lead from the fleet. A command that needs the database when nobody leads
 * (check, exec, reset, backup) may stand as a candidate and host the leader itself for its own
 * duration, and says so on stderr. When nobody answers, the failure is explained from the
 * kernel's view (see probe/leader-probe.ts) instead of a bare NO_LEADER/TIMEOUT.
 */
import * as fs from 'node:fs';
import { openStore, storePaths, StoreError, type Store, type StorePaths } from '@baton/store';
import { CliError } from './cli-error';
import type { Output } from './output';
import { explainSilence, lockTakenWithin, probeLeader, suspectedLeader } from './probe/leader-probe';

/** How long a free election lock may stay free before "no leader" is certain (an election takes milliseconds). */
const ELECTION_GRACE_MS = 1_000;

/** How a command wants to reach the leader. */
export interface ConnectOptions {
  /** The command's name, used in the member name shown by `baton status` (`baton <command>`). */
  command: string;
  /** May this command host the leader when nobody leads? */
  mayLead: boolean;
  /** How long the leader has to answer, connecting included. */
  timeoutMs: number;
  /** The store's `fileMode`, for the files this command creates should it host the leader. Default 0600. */
  fileMode?: number;
}

/** An open store and whether this process hosts its leader. */
export interface Connection {
  store: Store;
  paths: StorePaths;
  hostsLeader: boolean;
}

/**
 * Resolves the store's paths and checks that the database exists: the store would create a
 * missing database, and a CLI typo must not leave a fresh empty database behind.
 */
export function resolveDatabase(database: string): StorePaths {
  let paths: StorePaths;
  try {
    paths = storePaths(database);
  } catch {
    throw new CliError('DATABASE_NOT_FOUND', `no database at ${database}: its directory does not exist`);
  }
  if (!fs.existsSync(paths.database)) throw new CliError('DATABASE_NOT_FOUND', `no database at ${paths.database}`);
  return paths;
}

/** True for the store errors that mean "the leader did not answer". */
export function isSilence(error: unknown): error is StoreError {
  return error instanceof StoreError && (error.code === 'NO_LEADER' || error.code === 'TIMEOUT');
}

/**
 * Explains a leader that did not answer within `timeoutMs` (null: was not asked) as
 * `LEADER_UNRESPONSIVE` (a live process holds the election lock) or `NO_LEADER` (nobody
 * does), both exit code 1.
 */
export function silenceError(paths: StorePaths, timeoutMs: number | null, cause?: StoreError): CliError {
  const probe = probeLeader(paths);
  const suspect = suspectedLeader(probe);
  const details: Record<string, unknown> = suspect === null ? {} : { pid: suspect.pid, process: suspect.process };
  // A write that timed out may have been applied: keep the store's own warning for the record.
  if (cause?.code === 'TIMEOUT') details.storeMessage = cause.toWire().message;
  return new CliError(
    suspect === null ? 'NO_LEADER' : 'LEADER_UNRESPONSIVE',
    explainSilence(probe, timeoutMs),
    details,
  );
}

/**
 * Opens the store at `database` as an observer, or as a candidate when `mayLead` and nobody
 * leads. Fails fast with `LEADER_UNRESPONSIVE` when the lock holder is stopped (it cannot
 * answer, however long we wait), and with `NO_LEADER` when this command may not lead and the
 * election lock stays free for a second.
 */
export async function connect(database: string, options: ConnectOptions, out: Output): Promise<Connection> {
  const paths = resolveDatabase(database);
  const probe = probeLeader(paths);
  const suspect = suspectedLeader(probe);
  if (suspect?.process === 'stopped') throw silenceError(paths, null);
  // Without candidacy nobody will appear to answer a free lock: say so now, not after the timeout.
  if (!options.mayLead && probe.lockHolder === null && !(await lockTakenWithin(paths.lock, ELECTION_GRACE_MS))) {
    throw silenceError(paths, null);
  }
  const candidate = options.mayLead && suspect === null;
  let store: Store;
  try {
    const fileMode = options.fileMode === undefined ? {} : { fileMode: options.fileMode };
    // bigint: `exec` shows every INTEGER exactly, beyond 2^53 too (a number would be a RangeError).
    store = await openStore({
      path: paths.database,
      name: `baton ${options.command}`,
      candidate,
      requestTimeoutMs: options.timeoutMs,
      intMode: 'bigint',
      ...fileMode,
    });
  } catch (error) {
    if (isSilence(error)) {
      const failure = silenceError(paths, options.timeoutMs, error);
      // We stood as candidate and still nobody leads: the leader engine could not start here.
      if (candidate && failure.code === 'NO_LEADER') {
        throw new CliError(
          'NO_LEADER',
          `no leader was running and none could be started here within ${options.timeoutMs} ms (is the database readable and not corrupt?)`,
        );
      }
      throw failure;
    }
    throw error;
  }
  const hostsLeader = store.role === 'leader';
  if (hostsLeader)
    out.note(
      `no leader was running: this command hosts the leader (pid ${process.pid}) until it finishes, then hands over`,
    );
  return { store, paths, hostsLeader };
}

/**
 * Runs `work` against an open connection and closes the store afterwards, whatever happens;
 * a leader that falls silent meanwhile is explained as for {@link connect}.
 */
export async function withConnection<T>(
  connection: Connection,
  timeoutMs: number,
  work: (store: Store) => Promise<T>,
): Promise<T> {
  try {
    return await work(connection.store);
  } catch (error) {
    throw isSilence(error) ? silenceError(connection.paths, timeoutMs, error) : error;
  } finally {
    await connection.store.close();
  }
}
