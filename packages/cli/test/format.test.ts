/** Unit tests of the pure helpers: readable units, SQLite values as JSON/text, /proc parsing. */
import { jsonSqlValue, toJson } from '../src/format/json';
import { formatBytes, formatDuration, formatRate } from '../src/format/units';
import { displayValue, parseJsonArg, tsvValue } from '../src/format/values';
import { colorAllowed } from '../src/io';
import { parseProcessState, parseProcLocks, splitDevice } from '../src/probe/proc';

test('durations read as ms, s, minutes, hours and days', () => {
  expect([0.25, 7, 850, 4_200, 187_000, 7_500_000, 277_000_000].map(formatDuration)).toEqual([
    '0.3 ms',
    '7 ms',
    '850 ms',
    '4.2 s',
    '3m 07s',
    '2h 05m',
    '3d 04h',
  ]);
  expect(formatDuration(-1)).toBe('-');
});

test('sizes read in powers of 1024 and rates round sensibly', () => {
  expect([0, 512, 1_536, 12 * 1024 ** 2, 1.1 * 1024 ** 3].map(formatBytes)).toEqual([
    '0 B',
    '512 B',
    '1.5 KiB',
    '12.0 MiB',
    '1.1 GiB',
  ]);
  expect([0, 0.44, 12.46, 1204.4].map(formatRate)).toEqual(['0', '0.4', '12.5', '1,204']);
});

test('SQLite values get an exact JSON form: big integers as strings, blobs as base64', () => {
  expect(jsonSqlValue(42n)).toBe(42);
  expect(jsonSqlValue(2n ** 63n - 1n)).toBe('9223372036854775807');
  expect(jsonSqlValue(Buffer.from([1, 2, 255]))).toEqual({ base64: 'AQL/' });
  expect(jsonSqlValue(new Uint8Array([1, 2, 255]).buffer)).toEqual({ base64: 'AQL/' });
  expect(toJson({ id: 2n ** 60n, blob: Buffer.from('hi'), list: [1n] })).toBe(
    '{"id":"1152921504606846976","blob":{"base64":"aGk="},"list":[1]}',
  );
});

test('values print as text cells and single-line tab-separated fields', () => {
  expect(displayValue(null)).toBe('NULL');
  expect(displayValue(new Uint8Array([0x0a, 0xff]))).toBe("x'0aff'");
  expect(displayValue(new Uint8Array([0x0a, 0xff]).buffer)).toBe("x'0aff'"); // blobs come back as ArrayBuffers, as in @libsql/client
  expect(tsvValue('a\tb\nc\\')).toBe('a\\tb\\nc\\\\');
});

test('--json-args parses JSON scalars, keeps big integers exact, and rejects the rest', () => {
  expect(['42', '1.5', 'null', 'true', '"x"'].map((a, i) => parseJsonArg(a, i + 1))).toEqual([
    42n,
    1.5,
    null,
    true,
    'x',
  ]);
  expect(parseJsonArg('9223372036854775807', 1)).toBe(9223372036854775807n);
  expect(() => parseJsonArg('text', 2)).toThrow(/argument 2 is not JSON/);
  expect(() => parseJsonArg('[1]', 3)).toThrow(/must be a JSON number, string, boolean or null/);
});

test('colour is allowed only on a TTY, without --json, without a non-empty NO_COLOR', () => {
  expect(colorAllowed({ write: () => true, isTTY: true }, {}, false)).toBe(true);
  expect(colorAllowed({ write: () => true, isTTY: true }, {}, true)).toBe(false);
  expect(colorAllowed({ write: () => true, isTTY: true }, { NO_COLOR: '1' }, false)).toBe(false);
  expect(colorAllowed({ write: () => true, isTTY: true }, { NO_COLOR: '' }, false)).toBe(true);
  expect(colorAllowed({ write: () => true }, {}, false)).toBe(false);
});

test('/proc parsing: process state past a command name with spaces and parentheses', () => {
  expect(parseProcessState('123 (node) S 1 2 3')).toBe('running');
  expect(parseProcessState('123 (a) b) T 1 2 3')).toBe('stopped');
  expect(parseProcessState('123 (x) Z 1')).toBe('zombie');
});

test('/proc/locks parsing keeps holders, skips blocked waiters, and splits devices like the kernel prints them', () => {
  const text = [
    '1: FLOCK  ADVISORY  WRITE 4891 fe:00:2146651 0 EOF',
    '1: -> FLOCK  ADVISORY  WRITE 4900 fe:00:2146651 0 EOF',
    '2: POSIX  ADVISORY  READ 77 08:01:99 0 EOF',
    '',
  ].join('\n');
  expect(parseProcLocks(text)).toEqual([
    { kind: 'FLOCK', pid: 4891, major: 0xfe, minor: 0, inode: 2146651n },
    { kind: 'POSIX', pid: 77, major: 8, minor: 1, inode: 99n },
  ]);
  expect(splitDevice(65024n)).toEqual({ major: 254, minor: 0 });
  expect(splitDevice((259n << 8n) | 5n)).toEqual({ major: 259, minor: 5 });
});
