/**
 * Values in both directions, in every `intMode`: what a bound JS value is stored as (its SQLite
 * type), what comes back, and which values are refused, with which error, before anything runs.
 */
import type { InValue, IntMode } from '@libsql/client';
import { refused, type Difference, type Scenario } from '../scenario';
import { rowOf } from './expect';

const INT_MODES: IntMode[] = ['number', 'bigint', 'string'];

/** Integers read from SQL literals, so the binding rules play no part. */
const INTEGER_LITERALS = [
  '0',
  '1',
  '-1',
  '9007199254740991',
  '-9007199254740991',
  '9007199254740992',
  '-9007199254740992',
  '9223372036854775807',
  '-9223372036854775808',
];

/** Numbers, bound: the small, the fractional and the extreme, `-0` included. */
const NUMBERS: [string, number][] = [
  ['0', 0],
  ['-0', -0],
  ['1', 1],
  ['-1', -1],
  ['1.5', 1.5],
  ['-2.25', -2.25],
  ['MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER],
  ['2**53', 2 ** 53],
  ['2**53 + 2', 2 ** 53 + 2],
  ['1e19', 1e19],
  ['2**63', 2 ** 63],
  ['-(2**63)', -(2 ** 63)],
  ['MAX_VALUE', Number.MAX_VALUE],
  ['-MAX_VALUE', -Number.MAX_VALUE],
  ['MIN_VALUE', Number.MIN_VALUE],
  ['EPSILON', Number.EPSILON],
];

/** Bigints, bound, up to and past the 64-bit range. */
const BIGINTS: [string, bigint][] = [
  ['0n', 0n],
  ['1n', 1n],
  ['-1n', -1n],
  ['2n**53n', 2n ** 53n],
  ['2n**63n - 1n', 2n ** 63n - 1n],
  ['-(2n**63n)', -(2n ** 63n)],
  ['2n**63n', 2n ** 63n],
  ['-(2n**63n) - 1n', -(2n ** 63n) - 1n],
  ['2n**64n', 2n ** 64n],
];

/** Everything else a program may bind, and what it may not. */
const OTHERS: [string, unknown][] = [
  ['null', null],
  ['true', true],
  ['false', false],
  ['Date(0)', new Date(0)],
  ['Date(1700000000123)', new Date(1_700_000_000_123)],
  ['Date before 1970', new Date(-86_400_001)],
  ['invalid Date', new Date(Number.NaN)],
  ['Uint8Array', new Uint8Array([0, 1, 254, 255])],
  ['empty Uint8Array', new Uint8Array(0)],
  ['Uint8Array view into a larger buffer', new Uint8Array([9, 9, 1, 2, 3, 9]).subarray(2, 5)],
  ['Buffer', Buffer.from('cafe', 'hex')],
  ['ArrayBuffer', new Uint8Array([7, 8]).buffer],
  ['empty ArrayBuffer', new ArrayBuffer(0)],
  ['string', 'text'],
  ['undefined', undefined],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['object', { a: 1 }],
  ['array', [1, 2]],
];

/** -0 is bound and read back as 0. */
const NEGATIVE_ZERO: Difference = {
  reason: '-0 arrives as 0',
  documented: '-0',
  steps: {
    '-0: select': { ok: { rows: [rowOf(['number', '0'], ['string', 'real'])] } },
    '-0: stored': { ok: { rows: [rowOf(['number', '0'], ['string', 'real'])] } },
    '-0: named': { ok: { rows: [rowOf(['number', '0'])] } },
  },
  // Read back locally, a -0 bound in the read itself keeps its sign; stored, it crossed the wire.
  wireOnly: ['-0: select', '-0: named'],
};

/** Objects and arrays are refused with Baton's code rather than libsql's plain Error. */
const NOT_A_VALUE: Difference = {
  reason: 'an object or array argument is refused with INVALID_ARGUMENT',
  documented: 'an object, array or symbol argument',
  steps: Object.fromEntries(
    ['object', 'array'].flatMap((label) =>
      ['select', 'stored', 'named'].map((how) => [`${label}: ${how}`, refused('INVALID_ARGUMENT')]),
    ),
  ),
};

/** Binds `value` alone, reads back what SQLite made of it, then stores it and reads it back from a column without affinity. */
function bindScenario(group: string, values: [string, unknown][], intMode: IntMode, difference?: Difference): Scenario {
  return {
    name: `binding ${group} (intMode ${intMode}): stored type and value read back`,
    intMode,
    difference,
    setup: 'CREATE TABLE v (k TEXT PRIMARY KEY, x)',
    async run({ client, step }) {
      for (const [label, value] of values) {
        const arg = value as InValue;
        await step(`${label}: select`, () => client.execute('SELECT ? AS v, typeof(?) AS t', [arg, arg]));
        await step(`${label}: stored`, async () => {
          await client.execute('INSERT INTO v (k, x) VALUES (?, ?)', [label, arg]);
          return client.execute('SELECT x, typeof(x) AS t FROM v WHERE k = ?', [label]);
        });
        await step(`${label}: named`, () => client.execute({ sql: 'SELECT :value AS v', args: { value: arg } }));
      }
    },
  };
}

export const VALUE_SCENARIOS: Scenario[] = INT_MODES.flatMap((intMode): Scenario[] => [
  {
    name: `reading integers (intMode ${intMode}): safe ones as the mode says, unsafe ones a RangeError in 'number'`,
    intMode,
    async run({ client, step }) {
      for (const literal of INTEGER_LITERALS) await step(literal, () => client.execute(`SELECT ${literal} AS v`));
      await step('one unsafe value fails the whole result', () =>
        client.execute('SELECT 1 AS a UNION ALL SELECT 9007199254740992'),
      );
    },
  },
  {
    name: `reading REAL, TEXT, BLOB and NULL (intMode ${intMode}) does not depend on the mode`,
    intMode,
    difference: {
      reason: 'lastInsertRowid is exact beyond 2^53',
      documented: 'lastInsertRowid is exact',
      steps: { 'lastInsertRowid stays a bigint': { ok: { lastInsertRowid: ['bigint', '9007199254740993'] } } },
    },
    async run({ client, step }) {
      await step('values', () =>
        client.execute(
          `SELECT 2.0 AS r, 9007199254740993.0 AS big_real, '12' AS t, x'0102' AS b, NULL AS n, 1e308 * 10 AS inf`,
        ),
      );
      await step('lastInsertRowid stays a bigint', async () => {
        await client.execute('CREATE TABLE r (id INTEGER PRIMARY KEY)');
        return client.execute('INSERT INTO r (id) VALUES (9007199254740993)');
      });
    },
  },
  bindScenario('numbers', NUMBERS, intMode, NEGATIVE_ZERO),
  bindScenario('bigints', BIGINTS, intMode),
  bindScenario('booleans, Dates, bytes, strings and refused values', OTHERS, intMode, NOT_A_VALUE),
]);
