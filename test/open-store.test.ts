/** `openStore` as a program sees it from outside: its promise settles before the process may exit. */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { removeTempDirs, tempDir } from './helpers/temp';

const run = promisify(execFile);

afterEach(removeTempDirs);

test('openStore with no leader and no candidacy rejects with NO_LEADER instead of letting the process exit silently', async () => {
  const file = path.join(tempDir(), 'nobody.db');
  const store = require.resolve('@baton/store');
  const script = `require(${JSON.stringify(store)}).openStore({ path: ${JSON.stringify(file)}, candidate: false, requestTimeoutMs: 500 })
    .then(() => console.log('opened'), (e) => console.log('rejected ' + e.code))`;
  const { stdout } = await run(process.execPath, ['-e', script], { timeout: 30_000 });
  expect(stdout.trim()).toBe('rejected NO_LEADER');
});
