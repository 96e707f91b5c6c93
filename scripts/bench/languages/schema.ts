/** The table the languages bench writes, the same text in the Python member (python/bench/member.py). */
export const MIGRATIONS = [
  {
    version: 1,
    sql: 'CREATE TABLE IF NOT EXISTS bench_rows (id TEXT PRIMARY KEY, member TEXT NOT NULL, payload BLOB)',
  },
];

/** One insert of a 200-byte row, as the main bench writes: a fresh id per write. */
export const INSERT_SQL = 'INSERT INTO bench_rows (id, member, payload) VALUES (?, ?, randomblob(200))';
