/**
 * The repository's shared multi-process helpers (test/helpers: forked fleet members, temp
 * dirs), loaded from their compiled location. This file compiles to
 * packages/cli/dist/test/support/, one directory deeper than its source, so no single relative
 * import names test/dist from both places; the types come from the sources (type-only imports
 * are erased) and the code from test/dist at run time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as FleetHelpers from '../../../../test/helpers/fleet';
import type * as TempHelpers from '../../../../test/helpers/temp';

/** The repository root: the nearest directory above this file with a workspaces package.json. */
export const REPO_ROOT = findRoot(__dirname);

function findRoot(from: string): string {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && 'workspaces' in (JSON.parse(fs.readFileSync(manifest, 'utf8')) as object)) return dir;
  }
  throw new Error(`no workspace root above ${from}`);
}

/** Forked fleet members: startMember, killAll, Member.waitFor (test/helpers/fleet.ts). */
export const fleet = require(path.join(REPO_ROOT, 'test', 'dist', 'helpers', 'fleet.js')) as typeof FleetHelpers;
/** Temporary directories removed by removeTempDirs() (test/helpers/temp.ts). */
export const temp = require(path.join(REPO_ROOT, 'test', 'dist', 'helpers', 'temp.js')) as typeof TempHelpers;

/** A forked member and everything it has reported. */
export type Member = FleetHelpers.Member;
