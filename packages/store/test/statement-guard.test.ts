import { checkAllowed, refusalReason } from '../src/sqlite/statement-guard';

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

describe('the guard remembers verdicts', () => {
  test('per context: the same text keeps its own verdict in each, however often it is asked', () => {
    for (let i = 0; i < 3; i++) {
      expect(() => checkAllowed('SAVEPOINT a', 'statement')).toThrow(/only allowed inside transaction/);
      expect(() => checkAllowed('SAVEPOINT a', 'transaction')).not.toThrow();
      expect(() => checkAllowed('ROLLBACK', 'batch')).not.toThrow();
      expect(() => checkAllowed('ROLLBACK', 'statement')).toThrow(/leader owns transaction boundaries/);
    }
  });

  test("past its bound and for long texts, every verdict is still the guard's own", () => {
    for (let i = 0; i < 1200; i++) expect(() => checkAllowed(`INSERT INTO t VALUES (${i})`, 'statement')).not.toThrow();
    const longRefused = `/* ${'x'.repeat(5000)} */ VACUUM`;
    expect(() => checkAllowed(longRefused, 'statement')).toThrow(/VACUUM is not allowed/);
    expect(() => checkAllowed(longRefused, 'statement')).toThrow(/VACUUM is not allowed/);
    expect(() => checkAllowed('VACUUM', 'statement')).toThrow(/VACUUM is not allowed/);
  });
});
