/**
 * The permissions of Baton's files. Every file Baton creates (the database when it does not
 * exist yet, the lock file, the leader record, temporary files) gets exactly the store's
 * `fileMode`, 0600 unless a deployment shares with its group on purpose, whatever the umask.
 * A database that others can already read is not changed behind its owner's back: it is
 * reported, with the command that fixes it.
 */
import * as fs from 'node:fs';
import { databaseFiles } from './open-files';
import type { StorePaths } from './paths';

/** The owner alone may read and write: the mode of Baton's files unless `fileMode` says otherwise. */
export const DEFAULT_FILE_MODE = 0o600;

/**
 * The modes `fileMode` accepts: the owner always reads and writes (the leader must); the group
 * may read, or read and write; others never.
 */
export const FILE_MODES: readonly number[] = [0o600, 0o640, 0o660];

/** `0o640` as `0640`, the way `ls -l`, `stat` and `chmod` speak of modes. */
export function formatMode(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

/**
 * Opens `file` with `flags`, creating it first with exactly `mode` when it does not exist.
 * `O_EXCL` tells whether this call created the file, and only then is its mode set: `fchmod`
 * is not subject to the umask, and until it runs the umask can only have removed bits, so the
 * file is never more open than `mode`. An existing file is opened as it is, never truncated.
 * A symlink at `file` is refused (`ELOOP`), never followed.
 */
export function openOrCreate(file: string, flags: number, mode: number): number {
  const { O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  // A file deleted between the failed create and the open is created on the next round.
  for (let attempt = 0; ; attempt++) {
    try {
      return createWithMode(file, flags, mode);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    try {
      return fs.openSync(file, (flags & ~(O_CREAT | O_EXCL)) | O_NOFOLLOW);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 2) throw error;
    }
  }
}

/**
 * Creates `file` with exactly `mode` and returns it open with `flags`; fails with `EEXIST` when
 * anything (a symlink included) is already there.
 */
export function createWithMode(file: string, flags: number, mode: number): number {
  const { O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  const fd = fs.openSync(file, flags | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  try {
    fs.fchmodSync(fd, mode);
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
  return fd;
}

/**
 * Creates the database file, empty and with exactly `mode`, when it does not exist yet (SQLite
 * takes an empty file for an empty database). SQLite creates `-wal` and `-shm` with the mode
 * of the database file whatever the umask, so they get `mode` too. An existing file is left
 * alone: nothing in Baton truncates or deletes a database.
 * @returns true when this call created the file
 */
export function createDatabaseFile(database: string, mode: number): boolean {
  try {
    fs.closeSync(createWithMode(database, fs.constants.O_WRONLY, mode));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** One of the store's files that grants more than the store's `fileMode` allows. */
export interface ExposedFile {
  path: string;
  /** Its permission bits, e.g. `0644`. */
  mode: string;
}

/**
 * The store's files (database, `-wal`, `-shm`, lock file, leader record, runaway list) that
 * give the group or others any access `allowedMode` does not: anyone holding those bits can
 * read every row, or open the database and break "one opener". Missing files are skipped.
 */
export function exposedFiles(paths: StorePaths, allowedMode: number = DEFAULT_FILE_MODE): ExposedFile[] {
  const files = [...databaseFiles(paths.database), paths.lock, paths.record, paths.runaways];
  const exposed: ExposedFile[] = [];
  for (const file of files) {
    let mode: number;
    try {
      mode = fs.statSync(file).mode & 0o777;
    } catch {
      continue;
    }
    if ((mode & 0o077 & ~allowedMode) !== 0) exposed.push({ path: file, mode: formatMode(mode) });
  }
  return exposed;
}

/** The shell command that closes `files` to everyone `allowedMode` does not let in. */
export function chmodCommand(files: readonly ExposedFile[], allowedMode: number = DEFAULT_FILE_MODE): string {
  return ['chmod', (allowedMode & 0o777).toString(8), ...files.map((f) => shellQuote(f.path))].join(' ');
}

/** A sentence for an operator: which files are too open, and the command that fixes them. */
export function exposedFilesMessage(files: readonly ExposedFile[], allowedMode: number = DEFAULT_FILE_MODE): string {
  const list = files.map((f) => `${f.path} (${f.mode})`).join(', ');
  const fix = `run \`${chmodCommand(files, allowedMode)}\``;
  if ((allowedMode & 0o070) !== 0)
    return `${list} can be read or written by users outside the owner and the group; ${fix}`;
  return `${list} can be read or written by users other than the owner; ${fix} (or set fileMode if the group is meant to share it)`;
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
