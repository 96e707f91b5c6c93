import Libsql from 'libsql';
import { SqliteConnection } from '../src/sqlite/sqlite-connection';
import { bindingPlan } from '../src/sqlite/parameter-binding';

/** Statements whose array arguments bind by index: numbered, named, mixed, with gaps and decoys. */
const CASES: [sql: string, args: string[]][] = [
  ['SELECT ?2 AS second, ?1 AS first', ['one', 'two']],
  ['SELECT ?1 AS a, ? AS b', ['one', 'two']],
  ['SELECT ?1 AS a, ?1 AS b, ?3 AS c', ['x', 'y', 'z']],
  ['SELECT :a AS a, ? AS b, :a AS c, @d AS d, $e AS e', ['x', 'y', 'z', 'w']],
  [`SELECT '?1' AS q, 'a "?2" [:b]' AS r, ? AS b -- ?3`, ['x']],
  ['SELECT ?2 AS a /* :b */', ['x', 'y']],
  ['SELECT ? AS a, ? AS b', ['x', 'y']],
];

test('an array binds by parameter index exactly as libsql binds it', () => {
  const baton = new SqliteConnection(':memory:', false);
  const libsql = new Libsql(':memory:');
  try {
    for (const [sql, args] of CASES) {
      const expected = (libsql.prepare(sql).raw(true) as { get(args: unknown[]): unknown[] }).get(args);
      expect({ sql, row: baton.run({ sql, args }).rows[0] }).toEqual({ sql, row: expected });
    }
  } finally {
    baton.close();
    libsql.close();
  }
});

test('only anonymous parameters need no plan; quotes and comments hide parameters', () => {
  expect(bindingPlan('SELECT ?, ? FROM t WHERE x = "?1" -- :a')).toBeNull();
  expect(bindingPlan('SELECT ?3, ?')).toEqual({ names: [null, null, '?3', null] });
  expect(bindingPlan('SELECT :a, ?, :a, col$x')).toEqual({ names: [':a', null] });
});

test('surplus or missing values are still refused when parameters are numbered', () => {
  const baton = new SqliteConnection(':memory:', false);
  try {
    expect(() => baton.run({ sql: 'SELECT ?2 AS a', args: ['x', 'y', 'z'] })).toThrow(
      'Too many parameter values were provided',
    );
    expect(() => baton.run({ sql: 'SELECT ?2 AS a', args: ['x'] })).toThrow(/Missing named parameter/);
  } finally {
    baton.close();
  }
});
