/** The leader's handling of the files around the database: sizes for status, and the -wal/-shm of a lost file. */
import * as fs from 'node:fs';

/** The database and WAL sizes in bytes (0 for a missing file). */
export function databaseFileSizes(databasePath: string): { databaseBytes: number; walBytes: number } {
  const size = (file: string): number => {
    try {
      return fs.statSync(file).size;
    } catch {
      return 0;
    }
  };
  return { databaseBytes: size(databasePath), walBytes: size(`${databasePath}-wal`) };
}

/**
 * When the database file was replaced or deleted under a leader, SQLite cannot checkpoint
 * into the moved file (SQLITE_READONLY_DBMOVED) and leaves its -wal at the path. The next
 * leader would replay those frames into the new file: the "database disk image is malformed"
 * of the original incident. So, still holding the election lock, the leader moves the lost
 * file's -wal and -shm aside (kept, not deleted, for whoever wants the lost writes back).
 * @returns where they were moved
 */
export function quarantineCompanions(databasePath: string, epoch: number): string[] {
  const moved: string[] = [];
  const stamp = `lost-epoch${epoch}-${Date.now()}`;
  for (const suffix of ['-wal', '-shm']) {
    const companion = `${databasePath}${suffix}`;
    const aside = `${companion}.${stamp}`;
    try {
      fs.renameSync(companion, aside);
      moved.push(aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return moved;
}
