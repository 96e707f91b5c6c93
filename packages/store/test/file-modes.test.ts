/**
 * Creating files with an exact mode whatever the umask, never truncating or following a
 * symlink, and telling which of a store's files are too open.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  chmodCommand,
  createDatabaseFile,
  exposedFiles,
  exposedFilesMessage,
  formatMode,
  openOrCreate,
} from '../src/file-modes';
import { storePaths } from '../src/paths';

let dir: string;
let umask: number;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-file-modes-'));
  umask = process.umask(0o000); // the most open umask: any bit the code does not clear stays
});

afterEach(() => {
  process.umask(umask);
  fs.rmSync(dir, { recursive: true, force: true });
});

function modeOf(file: string): string {
  return formatMode(fs.statSync(file).mode);
}

test('openOrCreate creates a missing file with exactly the mode asked, whatever the umask', () => {
  for (const [mask, mode] of [
    [0o000, 0o600],
    [0o077, 0o640],
    [0o022, 0o660],
  ] as const) {
    process.umask(mask);
    const file = path.join(dir, `lock-${mask}-${mode}`);
    fs.closeSync(openOrCreate(file, fs.constants.O_RDWR, mode));
    expect(modeOf(file)).toBe(formatMode(mode));
  }
});

test('openOrCreate opens an existing file as it is: same mode, same contents', () => {
  const file = path.join(dir, 'existing');
  fs.writeFileSync(file, 'kept', { mode: 0o644 });
  fs.chmodSync(file, 0o644);
  fs.closeSync(openOrCreate(file, fs.constants.O_RDWR, 0o600));
  expect(modeOf(file)).toBe('0644');
  expect(fs.readFileSync(file, 'utf8')).toBe('kept');
});

test('openOrCreate refuses a symlink (ELOOP) and leaves its target untouched', () => {
  const target = path.join(dir, 'target');
  fs.writeFileSync(target, 'precious');
  fs.chmodSync(target, 0o644);
  const link = path.join(dir, 'link');
  fs.symlinkSync(target, link);
  expect(() => openOrCreate(link, fs.constants.O_RDWR, 0o600)).toThrow(expect.objectContaining({ code: 'ELOOP' }));
  expect(modeOf(target)).toBe('0644');
  expect(fs.readFileSync(target, 'utf8')).toBe('precious');
});

test('createDatabaseFile creates an empty file with the mode, and never truncates or re-modes an existing one', () => {
  const database = path.join(dir, 'fresh.db');
  expect(createDatabaseFile(database, 0o600)).toBe(true);
  expect([modeOf(database), fs.statSync(database).size]).toEqual(['0600', 0]);
  fs.writeFileSync(database, 'SQLite format 3\0 and more');
  fs.chmodSync(database, 0o644);
  expect(createDatabaseFile(database, 0o600)).toBe(false);
  expect([modeOf(database), fs.readFileSync(database, 'utf8')]).toEqual(['0644', 'SQLite format 3\0 and more']);
});

test('exposedFiles lists the files granting more than the file mode, in a fixed order, and chmodCommand closes them', () => {
  const paths = storePaths(path.join(dir, 'store.db'));
  for (const [file, mode] of [
    [paths.database, 0o644],
    [`${paths.database}-wal`, 0o640],
    [`${paths.database}-shm`, 0o600],
    [paths.lock, 0o606],
    [paths.record, 0o600],
  ] as const) {
    fs.writeFileSync(file, '');
    fs.chmodSync(file, mode);
  }
  expect(exposedFiles(paths)).toEqual([
    { path: paths.database, mode: '0644' },
    { path: `${paths.database}-wal`, mode: '0640' },
    { path: paths.lock, mode: '0606' },
  ]);
  // A group share is allowed by 0o640: only what others get counts then.
  expect(exposedFiles(paths, 0o640)).toEqual([
    { path: paths.database, mode: '0644' },
    { path: paths.lock, mode: '0606' },
  ]);
  expect(chmodCommand(exposedFiles(paths, 0o640), 0o640)).toBe(`chmod 640 ${paths.database} ${paths.lock}`);
  expect(exposedFilesMessage(exposedFiles(paths))).toBe(
    `${paths.database} (0644), ${paths.database}-wal (0640), ${paths.lock} (0606) can be read or written by users other than the owner; ` +
      `run \`chmod 600 ${paths.database} ${paths.database}-wal ${paths.lock}\` (or set fileMode if the group is meant to share it)`,
  );
});

test('chmodCommand quotes paths the shell would split or expand', () => {
  expect(chmodCommand([{ path: "/srv/my data/it's.db", mode: '0644' }])).toBe(`chmod 600 '/srv/my data/it'\\''s.db'`);
});
