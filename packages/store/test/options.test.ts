import { resolveOptions } from '../src/options';

test('defaults are filled in', () => {
  const options = resolveOptions({ path: '/tmp/x.db' });
  expect(options).toMatchObject({
    candidate: true,
    synchronous: 'full',
    requestTimeoutMs: 30_000,
    lock: 'flock',
    migrations: [],
    fileMode: 0o600,
    reads: 'leader',
  });
  expect(options.name).toMatch(/-\d+$/);
});

test('a misspelt option is named with the intended spelling', () => {
  expect(() => resolveOptions({ path: '/tmp/x.db', requestTimeout: 5 })).toThrow(
    'Misspelled option "requestTimeout" should be "requestTimeoutMs"',
  );
  expect(() => resolveOptions({ path: '/tmp/x.db', syncronous: 'full' })).toThrow('should be "synchronous"');
});

test.each([
  [{}, /"path"/],
  [{ path: ':memory:' }, /cannot be shared/],
  [{ path: '/tmp/x.db', requestTimeoutMs: 0 }, /positive integer/],
  [{ path: '/tmp/x.db', requestTimeoutMs: 5000n }, /positive integer, got "5000n"$/],
  [{ path: '/tmp/x.db', fileMode: 0o600n }, /got "384n"$/],
  [{ path: '/tmp/x.db', synchronous: 'off' }, /"full" or "normal"/],
  [{ path: '/tmp/x.db', lock: 'fcntl' }, /"flock" or "lockfile"/],
  [{ path: '/tmp/x.db', candidate: 'yes' }, /boolean/],
  [
    {
      path: '/tmp/x.db',
      migrations: [
        { version: 1, sql: 'x' },
        { version: 1, sql: 'y' },
      ],
    },
    /appears twice/,
  ],
  [{ path: '/tmp/x.db', migrations: [{ version: 0, sql: 'x' }] }, /positive integer/],
  [{ path: '/tmp/x.db', zzzzzzzzzzzz: 1 }, /Unknown option "zzzzzzzzzzzz"/],
  [{ path: '/tmp/x.db', foo: 1 }, /Unknown option "foo"/],
  [{ path: '/tmp/x.db', requestTimeoutMs: 11 * 60 * 1000 }, /at most 600000/],
  [{ path: '/tmp/x.db', transactionTimeoutMs: 61_000 }, /at most 60000/],
  [
    { path: '/tmp/x.db', fileMode: 0o644 },
    /^INVALID_ARGUMENT: Expected the "fileMode" option to be 0o600, 0o640 or 0o660 \(the owner reads and writes, the group may read or read and write, others get nothing\), got 0o644$/,
  ],
  [{ path: '/tmp/x.db', fileMode: 640 }, /got 0o1200 \(640 is decimal; write 0o640\)$/],
  [{ path: '/tmp/x.db', fileMode: '0640' }, /got "0640"$/],
  [{ path: '/tmp/x.db', fileMode: 0o400 }, /got 0o400$/],
  [{ path: '/tmp/x.db', filemode: 0o600 }, /Misspelled option "filemode" should be "fileMode"/],
])('%p is refused with INVALID_ARGUMENT', (options, message) => {
  expect(() => resolveOptions(options)).toThrow(
    expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) }),
  );
});

test.each([0o600, 0o640, 0o660])('fileMode %o is accepted', (fileMode) => {
  expect(resolveOptions({ path: '/tmp/x.db', fileMode }).fileMode).toBe(fileMode);
});

test('a non-object is refused', () => {
  expect(() => resolveOptions('kanban.db')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
});

test('reads: "local" is accepted with the flock election and refused with the lease, which is for file systems where the WAL cannot be shared', () => {
  expect(resolveOptions({ path: '/tmp/x.db', reads: 'local' }).reads).toBe('local');
  expect(() => resolveOptions({ path: '/tmp/x.db', reads: 'local', lock: 'lockfile' })).toThrow(
    expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('needs the flock election') }),
  );
  expect(() => resolveOptions({ path: '/tmp/x.db', reads: 'everywhere' })).toThrow(
    'Expected the "reads" option to be "leader" or "local"',
  );
  expect(() => resolveOptions({ path: '/tmp/x.db', read: 'local' })).toThrow('should be "reads"');
});
