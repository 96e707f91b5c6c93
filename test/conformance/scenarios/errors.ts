/**
 * SQLite's failures as libsql reports them (LibsqlError with `code`, `extendedCode`, `rawCode`
 * and its message), malformed statements, and what a closed client answers.
 */
import { refused, type Scenario } from '../scenario';

const SCHEMA = `
CREATE TABLE parent (id INTEGER PRIMARY KEY);
CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent (id));
CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, n INTEGER CHECK (n >= 0));
CREATE TABLE s (a INTEGER) STRICT;
CREATE TABLE log (x);
CREATE TRIGGER log_no_delete BEFORE DELETE ON log BEGIN SELECT RAISE(ABORT, 'log is append-only'); END;
INSERT INTO parent (id) VALUES (1);
INSERT INTO t (id, name, n) VALUES (1, 'a', 1);
INSERT INTO log (x) VALUES (1);
`;

export const ERROR_SCENARIOS: Scenario[] = [
  {
    name: 'SQL errors: syntax, unknown table and column, wrong function',
    async run({ client, step }) {
      await step('syntax', () => client.execute('SELEC 1'));
      await step('no such table', () => client.execute('SELECT * FROM nowhere'));
      await step('no such column', () => client.execute('SELECT missing_column'));
      await step('no such function', () => client.execute('SELECT nofunction(1)'));
      await step('incomplete input', () => client.execute('SELECT (1'));
    },
  },
  {
    name: 'constraint violations carry the extended code: UNIQUE, PRIMARY KEY, NOT NULL, CHECK, trigger',
    setup: SCHEMA,
    async run({ client, step }) {
      await step('unique', () => client.execute(`INSERT INTO t (name, n) VALUES ('a', 1)`));
      await step('primary key', () => client.execute(`INSERT INTO t (id, name, n) VALUES (1, 'b', 1)`));
      await step('not null', () => client.execute(`INSERT INTO t (name, n) VALUES (NULL, 1)`));
      await step('check', () => client.execute(`INSERT INTO t (name, n) VALUES ('c', -1)`));
      await step('trigger RAISE(ABORT)', () => client.execute('DELETE FROM log'));
      await step('nothing was changed', () =>
        client.execute('SELECT (SELECT count(*) FROM t) AS t, (SELECT count(*) FROM log) AS log'),
      );
    },
  },
  {
    name: 'foreign keys are enforced as on a fresh libsql connection',
    setup: SCHEMA,
    async run({ client, step }) {
      await step('foreign_keys pragma', () => client.execute('PRAGMA foreign_keys'));
      await step('insert with a missing parent', () => client.execute('INSERT INTO child (parent) VALUES (42)'));
    },
  },
  {
    name: 'a failing statement changes nothing and the client carries on',
    setup: SCHEMA,
    async run({ client, step }) {
      await step('multi-row insert failing on its second row', () =>
        client.execute(`INSERT INTO t (name, n) VALUES ('x', 1), ('a', 1)`),
      );
      await step('first row not kept', () => client.execute(`SELECT count(*) AS n FROM t WHERE name = 'x'`));
      await step('next statement works', () => client.execute(`INSERT INTO t (name, n) VALUES ('x', 1)`));
    },
  },
  {
    name: 'argument count mismatches and missing named arguments',
    difference: {
      reason: 'a missing value or surplus positional values are refused',
      documented: 'surplus positional values are ignored',
      steps: {
        'too many positional': refused('INVALID_ARGUMENT'),
        'too few positional': refused('INVALID_ARGUMENT'),
        'missing named': refused('INVALID_ARGUMENT'),
        'no args for a parameter': refused('INVALID_ARGUMENT'),
      },
    },
    async run({ client, step }) {
      await step('too many positional', () => client.execute('SELECT ? AS a', [1, 2]));
      await step('too few positional', () => client.execute('SELECT ? AS a, ? AS b', [1]));
      await step('missing named', () => client.execute({ sql: 'SELECT :a AS a', args: {} }));
      await step('extra named', () => client.execute({ sql: 'SELECT :a AS a', args: { a: 1, b: 2 } }));
      await step('no args for a parameter', () => client.execute('SELECT ? AS a'));
    },
  },
  {
    name: 'statements that are not exactly one: empty, only a comment, two',
    difference: {
      reason: 'execute takes exactly one statement',
      documented: "execute('SELECT 1; SELECT 2')",
      steps: {
        empty: refused('INVALID_ARGUMENT'),
        whitespace: refused('INVALID_ARGUMENT'),
        'comment only': refused('INVALID_ARGUMENT'),
        'two statements': refused('INVALID_ARGUMENT'),
      },
    },
    async run({ client, step }) {
      await step('empty', () => client.execute(''));
      await step('whitespace', () => client.execute('   '));
      await step('comment only', () => client.execute('-- nothing here'));
      await step('two statements', () => client.execute('SELECT 1 AS a; SELECT 2 AS b'));
      await step('trailing semicolon', () => client.execute('SELECT 1 AS a;'));
    },
  },
  {
    name: 'a closed client answers CLIENT_CLOSED to every call',
    async run({ client, step }) {
      await step('closed before', () => client.closed);
      await step('close', () => client.close());
      await step('closed after', () => client.closed);
      await step('execute', () => client.execute('SELECT 1'));
      await step('batch', () => client.batch(['SELECT 1']));
      await step('transaction', () => client.transaction('write'));
      await step('executeMultiple', () => client.executeMultiple('SELECT 1'));
      await step('migrate', () => client.migrate(['SELECT 1']));
      await step('close again', () => client.close());
    },
  },
  {
    name: 'protocol is "file"',
    async run({ client, step }) {
      await step('protocol', () => client.protocol);
    },
  },
  {
    name: 'a STRICT table refuses a value of the wrong type with a constraint error',
    setup: SCHEMA,
    difference: {
      reason: 'the extended code is named SQLITE_CONSTRAINT_DATATYPE',
      documented: '`extendedCode` `SQLITE_CONSTRAINT_DATATYPE`',
      steps: {
        'strict datatype': {
          error: {
            message: 'SQLITE_CONSTRAINT: cannot store TEXT value in INTEGER column s.a',
            code: ['string', 'SQLITE_CONSTRAINT'],
            extendedCode: ['string', 'SQLITE_CONSTRAINT_DATATYPE'],
            rawCode: ['number', '3091'],
          },
        },
      },
    },
    async run({ client, step }) {
      await step('strict datatype', () => client.execute(`INSERT INTO s (a) VALUES ('not a number')`));
    },
  },
];
