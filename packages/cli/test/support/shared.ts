/**
 * The repository's shared multi-process helpers (forked fleet members, temp dirs), from the
 * private workspace package @baton/test-support (test/helpers), by module name.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as fleet from '@baton/test-support/fleet';
import * as temp from '@baton/test-support/temp';

/** The repository root: the nearest directory above this file with a workspaces package.json. */
export const REPO_ROOT = findRoot(__dirname);

function findRoot(from: string): string {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && 'workspaces' in (JSON.parse(fs.readFileSync(manifest, 'utf8')) as object))
      return dir;
  }
  throw new Error(`no workspace root above ${from}`);
}

/** Forked fleet members (startMember, killAll, Member.waitFor) and temporary directories removed by removeTempDirs(). */
export { fleet, temp };

/** A forked member and everything it has reported. */
export type Member = fleet.Member;
