/** Temporary directories for tests, removed by `cleanup()` (call it in afterEach). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { storePaths } from '@baton/store';

const created: string[] = [];

/** A fresh empty directory under the system temp dir. */
export function tempDir(prefix = 'baton-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/**
 * Removes every directory made by `tempDir` so far, and the leader sockets (with the links that
 * name their lock files) of the databases in them: they live in the per-user runtime directory,
 * and a SIGKILLed leader leaves them behind.
 */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) {
    for (const entry of fs.readdirSync(dir, { recursive: true }) as string[]) {
      if (!entry.endsWith('.db')) continue;
      const paths = storePaths(path.join(dir, entry));
      fs.rmSync(paths.socket, { force: true });
      fs.rmSync(paths.socketLink, { force: true });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
