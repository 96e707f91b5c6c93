/** The CLI's version, read from its package.json so that `baton --version` never drifts from it. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The `version` of @baton/cli's package.json. This file runs from dist/src/, in the repository
 * and in an installed package alike (npm always ships package.json); the store reads its own
 * version the same way, so neither is written anywhere else.
 */
export function cliVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
