/**
 * The `sqlite3` command-line shell as an independent reader of files no Baton member has
 * open (backups, corrupted copies), and a way to damage a copy on purpose.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

/** Runs `sql` with the sqlite3 shell on `file` and returns its output lines. */
export function sqlite3(file: string, sql: string): string[] {
  return execFileSync('sqlite3', [file, sql], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line !== '');
}

/**
 * Overwrites the cell pointers of a few leaf pages of `table` in `file` with 0xff: the pages
 * stay where they are (so opening the file and Baton's own tables still work) but their
 * cells point outside the page, which `PRAGMA integrity_check` reports. The file must not be
 * open by anyone.
 * @returns the damaged page numbers
 */
export function corruptTable(file: string, table: string, pages = 3): number[] {
  const pageSize = Number(sqlite3(file, 'PRAGMA page_size')[0]);
  const leaves = sqlite3(
    file,
    `SELECT pageno FROM dbstat WHERE name = '${table}' AND pagetype = 'leaf' ORDER BY pageno`,
  ).map(Number);
  if (leaves.length < pages) throw new Error(`${table} has only ${leaves.length} leaf pages; write more rows first`);
  const damaged = leaves.slice(-pages);
  const fd = fs.openSync(file, 'r+');
  try {
    // A leaf page header is 8 bytes; the cell pointer array follows it.
    for (const page of damaged) fs.writeSync(fd, Buffer.alloc(64, 0xff), 0, 64, (page - 1) * pageSize + 8);
  } finally {
    fs.closeSync(fd);
  }
  return damaged;
}
