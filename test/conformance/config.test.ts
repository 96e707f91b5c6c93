/**
 * The differential suite, configuration: `createClient(config)` with the URLs and options a
 * libsql user writes, on @libsql/client and on Baton. The same client (or the same error, thrown
 * by `createClient` itself or by the first statement), except the documented differences.
 */
import * as path from 'node:path';
import { createClient as createLibsqlClient, type Client, type Config } from '@libsql/client';
import { createClient as createBatonClient } from '@baton/store';
import { removeTempDirs, tempDir } from '../helpers/temp';
import { outcomeOf, type Outcome } from './outcome';
import { refused, type Expected } from './scenario';
import { asLibsqlClasses, differencesSection } from './suite';

/** One configuration, built in a fresh directory. */
interface ConfigCase {
  name: string;
  config(dir: string): Config;
  /** Run a first statement (not for URLs that would reach for a network). */
  execute: boolean;
  /** Set when Baton differs from libsql on purpose (documented in docs/api.md). */
  difference?: {
    reason: string;
    /** A phrase of docs/api.md's "Differences from @libsql/client" that documents it. */
    documented: string;
    /** What `createClient` itself comes to on Baton (libsql's must differ). */
    created: Expected;
  };
}

const MEMORY = {
  reason: 'a memory database cannot be shared between processes',
  documented: ':memory:',
  created: refused('INVALID_ARGUMENT'),
};

const CASES: ConfigCase[] = [
  { name: 'file: with an absolute path', config: (dir) => ({ url: `file:${dir}/a.db` }), execute: true },
  { name: 'file:/// with an absolute path', config: (dir) => ({ url: `file://${dir}/a.db` }), execute: true },
  {
    name: 'file: with a path relative to the working directory',
    config: (dir) => ({ url: `file:${path.relative(process.cwd(), dir)}/a.db` }),
    execute: true,
  },
  { name: 'file: with a host', config: (dir) => ({ url: `file://elsewhere${dir}/a.db` }), execute: true },
  {
    name: 'file: with an unsupported query parameter',
    config: (dir) => ({ url: `file:${dir}/a.db?mode=ro` }),
    execute: true,
  },
  {
    name: 'an intMode that does not exist',
    config: (dir) => ({ url: `file:${dir}/a.db`, intMode: 'float' as 'number' }),
    execute: true,
  },
  { name: 'no url', config: () => ({}) as Config, execute: true },
  {
    name: 'every intMode is accepted',
    config: (dir) => ({ url: `file:${dir}/a.db`, intMode: 'bigint' }),
    execute: true,
  },
  { name: ':memory:', config: () => ({ url: ':memory:' }), execute: true, difference: MEMORY },
  { name: 'file::memory:', config: () => ({ url: 'file::memory:' }), execute: true, difference: MEMORY },
  {
    name: 'an http: URL',
    config: () => ({ url: 'http://127.0.0.1:9' }),
    execute: false,
    difference: {
      reason: 'only file: URLs; a server URL needs @libsql/client',
      documented: 'URL_SCHEME_NOT_SUPPORTED',
      created: refused('URL_SCHEME_NOT_SUPPORTED'),
    },
  },
  {
    name: 'a database directory that does not exist',
    config: (dir) => ({ url: `file:${dir}/missing/a.db` }),
    execute: true,
    difference: {
      reason: 'reported by createClient as INVALID_ARGUMENT',
      documented: 'a missing directory throws `INVALID_ARGUMENT` at once',
      created: refused('INVALID_ARGUMENT'),
    },
  },
  {
    name: 'an encryption key',
    config: (dir) => ({ url: `file:${dir}/a.db`, encryptionKey: 'secret' }),
    execute: true,
    difference: {
      reason: 'Baton cannot encrypt: refused rather than writing plaintext',
      documented: 'encryptionKey',
      created: refused('INVALID_ARGUMENT'),
    },
  },
];

/** What `createClient(config)` and a first statement come to. */
async function attempt(create: (config: Config) => Client, config: Config, execute: boolean): Promise<Outcome[]> {
  let client: Client | undefined;
  const created = await outcomeOf(() => {
    client = create(config);
    return { protocol: client.protocol, closed: client.closed };
  });
  const outcomes = [created];
  if (client !== undefined) {
    const opened = client;
    if (execute) outcomes.push(await outcomeOf(() => opened.execute('SELECT 1 AS one')));
    // Baton's close() resolves once the member has shut down; libsql's returns nothing.
    await Promise.resolve(opened.close());
  }
  return outcomes;
}

afterEach(() => removeTempDirs());

describe('createClient agrees with @libsql/client', () => {
  test('every difference of createClient is in docs/api.md under "Differences from @libsql/client"', () => {
    const section = differencesSection();
    expect(
      CASES.flatMap((c) =>
        c.difference === undefined || section.includes(c.difference.documented) ? [] : [c.difference.documented],
      ),
    ).toEqual([]);
  });

  for (const c of CASES) {
    const { difference } = c;
    test(difference === undefined ? c.name : `${c.name} (documented difference: ${difference.reason})`, async () => {
      const expected = await attempt(createLibsqlClient, c.config(tempDir('baton-config-')), c.execute);
      const actual = (await attempt(createBatonClient, c.config(tempDir('baton-config-')), c.execute)).map(
        asLibsqlClasses,
      );
      if (difference === undefined) {
        expect(actual).toEqual(expected);
      } else {
        expect(actual[0]).toMatchObject(difference.created);
        expect(expected[0]).not.toMatchObject(difference.created);
      }
    });
  }
});
