/**
 * The Python member's own suite (python/tests, Python's unittest, standard library only), run
 * from `npm test` so CI runs it. Its tests spawn Node members from test/dist/fixtures, built
 * before jest runs. One jest test per Python test module, so a failure names its module and
 * shows Python's output.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const PYTHON_DIR = path.join(__dirname, '..', '..', 'python');
const MODULES = fs
  .readdirSync(path.join(PYTHON_DIR, 'tests'))
  .filter((file) => /^test_.*\.py$/.test(file))
  .map((file) => `tests.${file.slice(0, -3)}`)
  .sort();

describe('the Python member (python -m unittest)', () => {
  it('has test modules to run', () => {
    expect(MODULES.length).toBeGreaterThan(0);
  });

  it.each(MODULES)(
    '%s passes',
    (module) => {
      const run = spawnSync(process.env.PYTHON ?? 'python3', ['-m', 'unittest', '-v', module], {
        cwd: PYTHON_DIR,
        encoding: 'utf8',
        env: { ...process.env, BATON_NODE: process.execPath, PYTHONDONTWRITEBYTECODE: '1' },
        timeout: 540_000,
      });
      if (run.status !== 0) {
        throw new Error(`python -m unittest ${module} exited ${run.status ?? run.signal}:\n${run.stdout}${run.stderr}`);
      }
      expect(run.status).toBe(0);
    },
    600_000,
  );
});
