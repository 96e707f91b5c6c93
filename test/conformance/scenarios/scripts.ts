/** executeMultiple (scripts, with BEGIN/COMMIT in them or not) and migrate. */
import type { Scenario } from '../scenario';
import { NAMES, TABLE } from './names-table';

export const SCRIPT_SCENARIOS: Scenario[] = [
  {
    name: 'executeMultiple runs every statement of a script and resolves with nothing',
    async run({ client, step }) {
      await step('script', () =>
        client.executeMultiple(`
        CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL);
        -- a comment between statements
        INSERT INTO t (name) VALUES ('a');
        INSERT INTO t (name) VALUES ('b'); SELECT * FROM t;
        CREATE INDEX t_name ON t (name)
      `),
      );
      await step('after', () => client.execute(NAMES));
    },
  },
  {
    name: 'executeMultiple with BEGIN and COMMIT commits the script as one transaction',
    setup: TABLE,
    async run({ client, step }) {
      await step('script', () =>
        client.executeMultiple(`BEGIN; INSERT INTO t (name) VALUES ('a'); INSERT INTO t (name) VALUES ('b'); COMMIT;`),
      );
      await step('statements after COMMIT run too', () =>
        client.executeMultiple(
          `BEGIN IMMEDIATE; INSERT INTO t (name) VALUES ('c'); COMMIT; INSERT INTO t (name) VALUES ('d');`,
        ),
      );
      await step('after', () => client.execute(NAMES));
    },
  },
  {
    name: 'executeMultiple stops at a failing statement: without BEGIN the ones before it stay',
    setup: `${TABLE}; INSERT INTO t (name) VALUES ('taken')`,
    async run({ client, step }) {
      await step('script', () =>
        client.executeMultiple(
          `INSERT INTO t (name) VALUES ('a'); INSERT INTO t (name) VALUES ('taken'); INSERT INTO t (name) VALUES ('b');`,
        ),
      );
      await step('after', () => client.execute(NAMES));
    },
  },
  {
    name: 'executeMultiple with BEGIN and a failing statement, or without COMMIT, keeps nothing',
    setup: `${TABLE}; INSERT INTO t (name) VALUES ('taken')`,
    async run({ client, step }) {
      await step('failing', () =>
        client.executeMultiple(
          `BEGIN; INSERT INTO t (name) VALUES ('a'); INSERT INTO t (name) VALUES ('taken'); COMMIT;`,
        ),
      );
      await step('after failing', () => client.execute(NAMES));
      await step('no COMMIT', () => client.executeMultiple(`BEGIN; INSERT INTO t (name) VALUES ('b');`));
      await step('after no COMMIT', () => client.execute(NAMES));
      await step('ROLLBACK in the script', () =>
        client.executeMultiple(
          `BEGIN; INSERT INTO t (name) VALUES ('c'); ROLLBACK; INSERT INTO t (name) VALUES ('d');`,
        ),
      );
      await step('after ROLLBACK', () => client.execute(NAMES));
      await step('client still writes', () => client.execute(`INSERT INTO t (name) VALUES ('e')`));
    },
  },
  {
    name: 'executeMultiple of nothing, of a comment, and of a syntax error',
    async run({ client, step }) {
      await step('empty', () => client.executeMultiple(''));
      await step('comment', () => client.executeMultiple('-- nothing'));
      await step('syntax error', () => client.executeMultiple('CREATE TABLE ok (a); SELEC 1; CREATE TABLE never (a);'));
      await step('tables', () =>
        client.execute(`SELECT name FROM sqlite_schema WHERE name IN ('ok', 'never') ORDER BY name`),
      );
    },
  },
  {
    name: 'migrate runs its statements in one transaction with foreign keys off and returns their result sets',
    async run({ client, step }) {
      await step('first migration', () =>
        client.migrate([
          'CREATE TABLE parent (id INTEGER PRIMARY KEY)',
          { sql: 'CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent (id))' },
          { sql: 'INSERT INTO parent (id) VALUES (?)', args: [1] },
          'INSERT INTO child (parent) VALUES (1)',
        ]),
      );
      // A table rebuild, as ORMs generate it: only possible with foreign keys off.
      await step('rebuild with a dangling reference', () =>
        client.migrate([
          'CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT)',
          'INSERT INTO parent_new (id) SELECT id FROM parent',
          'DROP TABLE parent',
          'ALTER TABLE parent_new RENAME TO parent',
          'SELECT count(*) AS n FROM parent',
        ]),
      );
      await step('foreign keys after', () => client.execute('PRAGMA foreign_keys'));
      await step('schema', () =>
        client.execute(
          `SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('parent', 'child', 'parent_new') ORDER BY name`,
        ),
      );
    },
  },
  {
    name: 'a failing migration is rolled back whole and reports its statementIndex',
    async run({ client, step }) {
      await step('migration', () =>
        client.migrate([
          'CREATE TABLE a (x)',
          'INSERT INTO a VALUES (1)',
          'INSERT INTO nowhere VALUES (1)',
          'CREATE TABLE b (x)',
        ]),
      );
      await step('schema', () => client.execute(`SELECT name FROM sqlite_schema WHERE name IN ('a', 'b')`));
    },
  },
];
