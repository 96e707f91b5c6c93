/** The CLI's version, read from its package.json so that `baton --version` never drifts from it. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The `version` of @baton/cli's package.json (this file runs from dist/src/). */
export function cliVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
