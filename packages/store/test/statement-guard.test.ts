import { refusalReason } from '../src/leader/statement-guard';

test.each([
  'BEGIN IMMEDIATE',
  'commit',
  '  -- comment\n ROLLBACK',
  '/* x */ SAVEPOINT a',
  'RELEASE a',
  'END TRANSACTION',
  "ATTACH 'other.db' AS o",
  'DETACH o',
  'VACUUM',
  'PRAGMA journal_mode = DELETE',
  'PRAGMA main.locking_mode=EXCLUSIVE',
  'pragma synchronous(0)',
  'PRAGMA foreign_keys = OFF',
  'PRAGMA writable_schema = 1',
  ';BEGIN',
  'PRAGMA "synchronous" = 0',
  "PRAGMA 'synchronous'=0",
  'PRAGMA /*x*/ synchronous = 0',
  'PRAGMA main . [journal_mode] = DELETE',
  ' ; ;\n-- x\n;ATTACH \'x.db\' AS x',
])('%p is refused', (sql) => {
  expect(refusalReason(sql)).not.toBeNull();
});

test.each(['SELECT 1', 'INSERT INTO t VALUES (1)', 'PRAGMA journal_mode', 'PRAGMA integrity_check', 'PRAGMA user_version = 3', 'WITH x AS (SELECT 1) SELECT * FROM x', ''])(
  '%p may run',
  (sql) => {
    expect(refusalReason(sql)).toBeNull();
  },
);
