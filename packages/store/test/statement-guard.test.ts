import { refusalReason } from '../src/sqlite/statement-guard';

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
  " ; ;\n-- x\n;ATTACH 'x.db' AS x",
])('%p is refused', (sql) => {
  expect(refusalReason(sql)).not.toBeNull();
});

test.each([
  'SELECT 1',
  'INSERT INTO t VALUES (1)',
  'PRAGMA journal_mode',
  'PRAGMA integrity_check',
  'PRAGMA user_version = 3',
  'WITH x AS (SELECT 1) SELECT * FROM x',
  '',
])('%p may run', (sql) => {
  expect(refusalReason(sql)).toBeNull();
});

test.each([
  ['SAVEPOINT sp1', 'transaction', null],
  ['release savepoint sp1', 'batch', null],
  ['ROLLBACK TO sp1', 'script', null],
  ['SAVEPOINT sp1', 'statement', /only allowed inside transaction\(\)/],
  ['SAVEPOINT _baton_job', 'transaction', /belong to the leader/],
  ['BEGIN', 'transaction', null],
  ['COMMIT', 'transaction', /commit or rollback operation/],
  ['ROLLBACK', 'transaction', /commit or rollback operation/],
  ['ROLLBACK', 'batch', null],
  ['BEGIN', 'batch', null],
  ['COMMIT', 'batch', /leader owns transaction boundaries/],
  ['ROLLBACK', 'statement', /leader owns transaction boundaries/],
  ['VACUUM', 'transaction', /VACUUM is not allowed/],
  ['PRAGMA foreign_keys=OFF', 'batch', null],
  ['PRAGMA foreign_keys = ON', 'transaction', null],
  ['PRAGMA foreign_keys=OFF', 'statement', /setting PRAGMA foreign_keys is not allowed/],
  ['PRAGMA synchronous=OFF', 'batch', /setting PRAGMA synchronous is not allowed/],
] as const)('%p in a %s is %p', (sql, context, reason) => {
  const refusal = refusalReason(sql, context);
  if (reason === null) expect(refusal).toBeNull();
  else expect(refusal).toMatch(reason);
});
