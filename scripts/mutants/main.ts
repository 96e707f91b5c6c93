/**
 * `npm run mutants`: shows that the tests have teeth. It copies the built repository to a
 * temporary directory (the working tree is never touched), checks that every responsible test
 * passes there unmodified, then applies each mutant of catalogue.ts alone, runs only its tests,
 * and restores the file. A mutant is caught when at least one of its tests fails. Prints a
 * table and, last, `N mutants, M caught`. Exit code: 0 when every mutant was caught, 1 when one
 * survived, 2 on bad usage or when a mutant could not be applied (its text was not found
 * exactly once), 3 when the tests fail without any mutant.
 *
 *   npm run mutants                        # all
 *   npm run mutants -- --only ack-before-commit,synchronous-normal
 *   npm run mutants -- --list               # names, tests, and whether each still applies
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MUTANTS, type Mutant } from './catalogue';

/** The repository root, from scripts/dist/mutants/. */
const ROOT = path.resolve(__dirname, '..', '..', '..');
/** Longest a test run may take before it counts as failed to run. */
const RUN_LIMIT_MS = 5 * 60 * 1000;
const SKIPPED = new Set(['.git', 'node_modules', '.baton-tmp', 'jest-results.json']);

/** What one jest run came to. */
interface RunResult {
  failedTests: string[];
  failedSuites: number;
  ok: boolean;
  seconds: number;
  output: string;
}

/** One row of the table. */
interface Row {
  mutant: Mutant;
  outcome: 'caught' | 'SURVIVED' | 'NOT APPLIED';
  detail: string;
  seconds: number;
}

class UsageError extends Error {}

/**
 * Copies the repository without its node_modules, then gives the copy a node_modules whose
 * entries link to the real ones, except the workspace packages (`@baton/*`), which link to the
 * copy's own packages: the tests of the copy load the copy's (mutated) code.
 */
function copyRepository(): string {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-mutants-'));
  fs.cpSync(ROOT, copy, { recursive: true, filter: (source) => !SKIPPED.has(path.basename(source)) });
  const modules = path.join(copy, 'node_modules');
  fs.mkdirSync(modules);
  for (const entry of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
    if (entry === '@baton') continue;
    fs.symlinkSync(path.join(ROOT, 'node_modules', entry), path.join(modules, entry));
  }
  fs.mkdirSync(path.join(modules, '@baton'));
  for (const workspace of fs.readdirSync(path.join(ROOT, 'node_modules', '@baton'))) {
    fs.symlinkSync(path.join(copy, 'packages', workspace), path.join(modules, '@baton', workspace));
  }
  return copy;
}

/** Runs jest in the copy on `tests` and reports which tests failed. */
function runTests(copy: string, tests: readonly string[]): Promise<RunResult> {
  const started = performance.now();
  const report = path.join(copy, `jest-${process.pid}-${Date.now()}.json`);
  const args = [
    path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'),
    '--config',
    path.join(copy, 'jest.config.js'),
    '--rootDir',
    copy,
    '--ci',
    '--silent',
    '--json',
    '--outputFile',
    report,
    '--cacheDirectory',
    path.join(copy, '.jest-cache'),
    ...tests.map((t) => path.join(copy, t)),
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: copy, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // A mutant can hang a test run: end it and whatever it forked.
    const limit = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), RUN_LIMIT_MS);
    child.once('close', () => {
      clearTimeout(limit);
      const seconds = (performance.now() - started) / 1000;
      let failedTests: string[] = [];
      let failedSuites = 1;
      let ok = false;
      try {
        const json = JSON.parse(fs.readFileSync(report, 'utf8')) as {
          success: boolean;
          numFailedTestSuites: number;
          testResults: { assertionResults: { status: string; fullName: string }[] }[];
        };
        failedTests = json.testResults.flatMap((r) =>
          r.assertionResults.filter((a) => a.status === 'failed').map((a) => a.fullName),
        );
        failedSuites = json.numFailedTestSuites;
        ok = json.success;
        fs.rmSync(report, { force: true });
      } catch {
        // no report: jest itself failed (or was killed); ok stays false
      }
      resolve({ failedTests, failedSuites, ok, seconds, output });
    });
  });
}

/** Replaces the mutant's text in the copy; throws when it does not occur exactly once. */
function apply(copy: string, mutant: Mutant): () => void {
  const file = path.join(copy, mutant.file);
  const original = fs.readFileSync(file, 'utf8');
  const count = original.split(mutant.search).length - 1;
  if (count !== 1)
    throw new Error(
      `its text occurs ${count} times in ${mutant.file} (expected once): the code changed, update scripts/mutants/catalogue.ts`,
    );
  fs.writeFileSync(
    file,
    original.replace(mutant.search, () => mutant.replace),
  );
  return () => fs.writeFileSync(file, original);
}

async function runMutant(copy: string, mutant: Mutant): Promise<Row> {
  let restore: () => void;
  try {
    restore = apply(copy, mutant);
  } catch (error) {
    return { mutant, outcome: 'NOT APPLIED', detail: (error as Error).message, seconds: 0 };
  }
  try {
    const result = await runTests(copy, mutant.tests);
    if (result.failedTests.length > 0)
      return {
        mutant,
        outcome: 'caught',
        detail: `${result.failedTests.length} failed, e.g. "${result.failedTests[0]}"`,
        seconds: result.seconds,
      };
    if (!result.ok)
      return {
        mutant,
        outcome: 'SURVIVED',
        detail: `no test failed, but the run did: ${result.output.trim().split('\n').slice(-3).join(' / ')}`,
        seconds: result.seconds,
      };
    return { mutant, outcome: 'SURVIVED', detail: 'every test passed', seconds: result.seconds };
  } finally {
    restore();
  }
}

function parseArguments(argv: string[]): { only: Set<string> | null; list: boolean } {
  let only: Set<string> | null = null;
  let list = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--list') list = true;
    else if (arg === '--only') only = new Set((argv[++i] ?? '').split(',').filter((n) => n !== ''));
    else if (arg.startsWith('--only='))
      only = new Set(
        arg
          .slice('--only='.length)
          .split(',')
          .filter((n) => n !== ''),
      );
    else throw new UsageError(`unknown argument ${arg} (use --only <name,...> or --list)`);
  }
  if (only !== null) {
    const unknown = [...only].filter((name) => !MUTANTS.some((m) => m.name === name));
    if (unknown.length > 0 || only.size === 0)
      throw new UsageError(`unknown mutant ${unknown.join(', ') || '(none given)'}; --list shows them`);
  }
  return { only, list };
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

async function main(): Promise<number> {
  const { only, list } = parseArguments(process.argv.slice(2));
  if (list) {
    // Also says whether each mutant still applies to the built code (its text found exactly once).
    let applicable = 0;
    for (const m of MUTANTS) {
      const count = fs.readFileSync(path.join(ROOT, m.file), 'utf8').split(m.search).length - 1;
      if (count === 1) applicable++;
      console.log(
        `${pad(m.name, 34)} ${pad(m.guarantee, 36)} ${pad(count === 1 ? 'applies' : `FOUND ${count}x`, 9)} ${m.tests.join(', ')}`,
      );
    }
    return applicable === MUTANTS.length ? 0 : 2;
  }
  const chosen = MUTANTS.filter((m) => only === null || only.has(m.name));
  const copy = copyRepository();
  try {
    const tests = [...new Set(chosen.flatMap((m) => m.tests))];
    console.log(`Baton mutants: ${chosen.length} breakages of the guarantees, on a copy in ${copy}`);
    const baseline = await runTests(copy, tests);
    if (!baseline.ok) {
      console.log(
        `The responsible tests fail without any mutant (${baseline.failedTests.join('; ') || 'a suite did not run'}): fix them first.\n${baseline.output.slice(-2000)}`,
      );
      return 3;
    }
    console.log(`Baseline: ${tests.length} test files pass unmodified (${baseline.seconds.toFixed(0)} s)\n`);
    console.log(`${pad('mutant', 34)} ${pad('guarantee', 36)} ${pad('result', 11)} ${pad('s', 5)} detail`);
    const rows: Row[] = [];
    for (const mutant of chosen) {
      const row = await runMutant(copy, mutant);
      rows.push(row);
      console.log(
        `${pad(mutant.name, 34)} ${pad(mutant.guarantee, 36)} ${pad(row.outcome, 11)} ${pad(row.seconds.toFixed(0), 5)} ${row.detail}`,
      );
    }
    const caught = rows.filter((r) => r.outcome === 'caught').length;
    console.log(`\n${rows.length} mutants, ${caught} caught`);
    if (rows.some((r) => r.outcome === 'NOT APPLIED')) return 2;
    return caught === rows.length ? 0 : 1;
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof UsageError ? `mutants: ${error.message}` : error);
    process.exit(error instanceof UsageError ? 2 : 3);
  },
);
