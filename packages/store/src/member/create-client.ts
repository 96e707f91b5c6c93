/**
 * `createClient`, @libsql/client's entry point for a `file:` URL: the same config (parsed by
 * @libsql/core's own `expandConfig`, so URLs, query parameters and `intMode` are read and
 * refused exactly as libsql does), synchronous, connecting on first use. Baton's own options
 * go under the one extra key `baton`.
 */
import type { Config } from '@libsql/core/api';
import { didYouMean } from '../did-you-mean';
import { isErrorCode, StoreError } from '../errors';
import { expandConfig, isInMemoryConfig, LibsqlError, supportedUrlLink } from '../libsql-core';
import { resolveOptions, type StoreOptions } from '../options';
import { Store } from './store';

/** Baton's options in `createClient`'s config: `openStore`'s, without `path` (the `url` names the file) and `intMode` (libsql's own key). */
export type BatonOptions = Omit<StoreOptions, 'path' | 'intMode'>;

/** @libsql/client's `Config`, with Baton's own options under `baton`. */
export interface ClientConfig extends Config {
  /** Baton's options: `name`, `candidate`, `migrations`, `requestTimeoutMs`, `lock`, ... (see `openStore`). */
  baton?: BatonOptions;
}

/** The keys of libsql's `Config` and `baton`: an unknown key close to one of them is a typo. */
const CONFIG_KEYS = [
  'url',
  'authToken',
  'encryptionKey',
  'remoteEncryptionKey',
  'syncUrl',
  'syncInterval',
  'readYourWrites',
  'offline',
  'tls',
  'intMode',
  'fetch',
  'concurrency',
  'timeout',
  'baton',
];
/** libsql features Baton cannot provide; ignoring them would write plaintext or never sync. */
const UNSUPPORTED_KEYS = ['encryptionKey', 'remoteEncryptionKey', 'syncUrl'] as const;

function invalid(message: string): never {
  throw new StoreError('INVALID_ARGUMENT', message);
}

/** libsql's config parsing, its `LibsqlError`s turned into `StoreError`s with the same code. */
function expand(config: ClientConfig): ReturnType<typeof expandConfig> {
  try {
    return expandConfig(config, true);
  } catch (error) {
    if (!(error instanceof LibsqlError) || error instanceof StoreError) throw error;
    const prefix = `${error.code}: `;
    const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    throw new StoreError(isErrorCode(error.code) ? error.code : 'URL_INVALID', message, { cause: error });
  }
}

/** The file URL checks of libsql's local client, with its messages. */
function checkFileUrl(expanded: ReturnType<typeof expandConfig>): void {
  if (expanded.scheme !== 'file') {
    throw new StoreError(
      'URL_SCHEME_NOT_SUPPORTED',
      `URL scheme ${JSON.stringify(`${expanded.scheme}:`)} is not supported: Baton shares a local database file; give a "file:" URL`,
    );
  }
  const authority = expanded.authority;
  if (authority === undefined) return;
  const host = authority.host.toLowerCase();
  if (host !== '' && host !== 'localhost') {
    throw new StoreError(
      'URL_INVALID',
      `Invalid host in file URL: ${JSON.stringify(authority.host)}. A "file:" URL with an absolute path should start with one slash ("file:/absolute/path.db") or with three slashes ("file:///absolute/path.db"). For more information, please read ${supportedUrlLink}`,
    );
  }
  if (authority.port !== undefined) throw new StoreError('URL_INVALID', 'File URL cannot have a port');
  if (authority.userinfo !== undefined)
    throw new StoreError('URL_INVALID', 'File URL cannot have username and password');
}

/**
 * Creates a client for the database file named by `config.url` (`file:` URLs only), shared
 * with every other process that opens it. Synchronous and lazy, like @libsql/client: nothing
 * is opened or elected until the first request. Throws `INVALID_ARGUMENT` for a bad `baton`
 * option, a missing database directory or a libsql feature Baton does not provide
 * (`encryptionKey`, `syncUrl`), and libsql's own errors for a bad URL or `intMode`.
 */
export function createClient(config: ClientConfig): Store {
  if (typeof config === 'object' && config !== null) {
    for (const key of Object.keys(config)) {
      if (CONFIG_KEYS.includes(key)) continue;
      const hint = didYouMean(key, CONFIG_KEYS);
      if (hint !== undefined) invalid(`Misspelled option "${key}" should be "${hint}"`);
      // Other unknown keys are ignored, as libsql ignores them.
    }
  }
  const expanded = expand(config);
  checkFileUrl(expanded);
  if (isInMemoryConfig(expanded)) invalid('":memory:" cannot be shared between processes; give a file path');
  for (const key of UNSUPPORTED_KEYS) {
    if (config[key] !== undefined)
      invalid(
        `the "${key}" option is not supported: Baton opens a plain local SQLite file (use @libsql/client for encryption and replicas)`,
      );
  }
  const baton: unknown = config.baton ?? {};
  if (typeof baton !== 'object' || baton === null || Array.isArray(baton))
    invalid('Expected the "baton" option to be an object of Baton\'s options');
  if ('path' in baton) invalid('the database file is the "url"; remove "baton.path"');
  if ('intMode' in baton) invalid('give "intMode" at the top level of the config, as for @libsql/client');
  let options;
  try {
    options = resolveOptions({ ...baton, path: expanded.path, intMode: expanded.intMode });
  } catch (error) {
    if (error instanceof StoreError && error.code === 'INVALID_ARGUMENT')
      invalid(`in "baton": ${error.toWire().message}`);
    throw error;
  }
  return new Store(options);
}
