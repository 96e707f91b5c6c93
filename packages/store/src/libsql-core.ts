/**
 * The @libsql/core that Baton builds on: the application's own, the one its @libsql/client (a
 * peer dependency of Baton) depends on, loaded from where that client loads it.
 *
 * Why not a dependency of Baton's: two ranges of one package are deduplicated by npm only when
 * the first one placed happens to satisfy both. An application on @libsql/client 0.17 that
 * installed Baton (then `^0.18.0` of @libsql/core) got a second copy, so `instanceof LibsqlError`
 * was false for every Baton error there. Without a range of its own, the application's tree holds
 * the client's copy only, and Baton's errors extend the `LibsqlError` the application imports.
 *
 * It is loaded through the CommonJS entry of the client (Baton is CommonJS), the build
 * `require('@libsql/client')` gives; an ES module that imports @libsql/client gets the ESM build
 * of @libsql/core, whose classes are others (docs/api.md, "Errors").
 */
import { createRequire } from 'node:module';
import type * as Api from '@libsql/core/api';
import type * as Config from '@libsql/core/config';
import type * as Util from '@libsql/core/util';

const fromClient = createRequire(require.resolve('@libsql/client'));

/** True when `value` is a module exporting every one of `names` (the parts of it Baton uses). */
function exportsAll<T extends object>(value: unknown, names: readonly (keyof T & string)[]): value is T {
  return typeof value === 'object' && value !== null && names.every((name) => name in value);
}

/** Loads `id` of the client's @libsql/core; throws when that version lacks what Baton uses. */
function load<T extends object>(id: string, names: readonly (keyof T & string)[]): T {
  const module: unknown = fromClient(id);
  if (exportsAll<T>(module, names)) return module;
  const missing = names.filter((name) => typeof module !== 'object' || module === null || !(name in module));
  throw new Error(
    `@baton/store needs @libsql/client 0.17 or 0.18: the installed client's ${id} lacks ${missing.join(', ')}`,
  );
}

const api = load<typeof Api>('@libsql/core/api', ['LibsqlError', 'LibsqlBatchError']);
const config = load<typeof Config>('@libsql/core/config', ['expandConfig', 'isInMemoryConfig']);
const util = load<typeof Util>('@libsql/core/util', ['ResultSetImpl', 'supportedUrlLink']);

/** The application's `LibsqlError` class (@libsql/client's). */
export const LibsqlError = api.LibsqlError;
/** An error of @libsql/client. */
export type LibsqlError = Api.LibsqlError;
/** The application's `LibsqlBatchError` class (@libsql/client's). */
export const LibsqlBatchError = api.LibsqlBatchError;
/** A failure of one statement of a batch, with its `statementIndex`. */
export type LibsqlBatchError = Api.LibsqlBatchError;
/** @libsql/core's `ResultSet` implementation (array-like rows keyed by column, `toJSON`). */
export const ResultSetImpl = util.ResultSetImpl;
/** libsql's link to its list of supported URLs, quoted in its URL errors. */
export const supportedUrlLink = util.supportedUrlLink;
/** libsql's parsing of a client config (URL, query parameters, `intMode`). */
export const expandConfig = config.expandConfig;
/** True for a `:memory:` config, as libsql decides it. */
export const isInMemoryConfig = config.isInMemoryConfig;
