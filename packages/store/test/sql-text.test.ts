import { splitStatements, transactionControl } from '../src/protocol/sql-text';

test('a script splits at semicolons outside quotes, identifiers and comments', () => {
  const script = `CREATE TABLE "a;b" (x);  -- one; two
    INSERT INTO "a;b" VALUES ('it''s; fine'), ([c;d]) /* ; */;
    ;;
    SELECT \`e;f\``;
  expect(splitStatements(script).map((s) => s.trim())).toEqual([
    'CREATE TABLE "a;b" (x)',
    `-- one; two\n    INSERT INTO "a;b" VALUES ('it''s; fine'), ([c;d]) /* ; */`,
    'SELECT `e;f`',
  ]);
});

test('a trigger body keeps its semicolons, as SQLite runs it', () => {
  const trigger = 'CREATE TEMP TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (1); UPDATE c SET x = 2; END';
  expect(splitStatements(`${trigger}; INSERT INTO a VALUES (3);`).map((s) => s.trim())).toEqual([
    trigger,
    'INSERT INTO a VALUES (3)',
  ]);
});

test('an unterminated last statement is kept and an empty script has none', () => {
  expect(splitStatements('SELECT 1; SELECT 2')).toEqual(['SELECT 1', ' SELECT 2']);
  expect(splitStatements(' ; -- nothing\n')).toEqual([]);
});

test('transaction control is told apart from ROLLBACK TO, past comments and case', () => {
  expect(transactionControl('begin immediate')).toBe('begin');
  expect(transactionControl('/* x */ END TRANSACTION')).toBe('commit');
  expect(transactionControl('COMMIT')).toBe('commit');
  expect(transactionControl('rollback')).toBe('rollback');
  expect(transactionControl('ROLLBACK TRANSACTION')).toBe('rollback');
  expect(transactionControl('rollback to savepoint sp1')).toBe('rollback-to');
  expect(transactionControl('ROLLBACK TRANSACTION /* c */ TO sp1')).toBe('rollback-to');
  expect(transactionControl('savepoint sp1')).toBe('savepoint');
  expect(transactionControl('RELEASE SAVEPOINT sp1')).toBe('release');
  expect(transactionControl('SELECT 1')).toBeNull();
});
