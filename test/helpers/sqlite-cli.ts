/**
 * The independent reader of multi-process tests: the `sqlite3` command-line shell, run after
 * every member has exited. It shares no code with Baton (not even better-sqlite3), so what it
 * reads is what is on disk.
 */
import { execFileSync } from 'node:child_process';

/** Runs `sql` in the sqlite3 shell on `database` and returns its output lines (columns joined by `|`). */
export function sqliteCli(database: string, sql: string): string[] {
  const out = execFileSync('sqlite3', ['-batch', '-bail', '-noheader', '-list', '-separator', '|', database, sql], {
    encoding: 'utf8',
  });
  return out.split('\n').filter((line) => line !== '');
}
