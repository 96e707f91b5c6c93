/**
 * Baton's version, reported in the leader record and in status. It is written in one place, the
 * `version` of @baton/store's package.json, and read from there once when this module loads:
 * this file runs from dist/src/ both in the repository and in an installed package, and npm
 * always ships package.json, so the path holds in both.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

function packageVersion(): string {
  const manifest = path.join(__dirname, '..', '..', 'package.json');
  const { version } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version?: unknown };
  if (typeof version !== 'string') throw new Error(`${manifest} has no version`);
  return version;
}

/** The version of @baton/store, from its package.json. */
export const VERSION: string = packageVersion();
