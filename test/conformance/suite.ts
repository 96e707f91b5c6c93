/**
 * Declares the jest tests of a list of scenarios: each one runs on @libsql/client and on each
 * Baton backend (a leader-hosting member, a forwarding member, a forwarding member that serves
 * its reads itself, a member forwarding to a Python leader), and the traces must be equal.
 * A scenario with a documented difference says so in its title: at its listed steps Baton must
 * do what the difference says and libsql must not; every other step must agree.
 *
 * Baton's error classes are `StoreError` / `StoreBatchError`, subclasses of `LibsqlError` /
 * `LibsqlBatchError`: only the constructor's own name is mapped to the libsql class it extends
 * before comparing. The errors' `name` (libsql's), codes, messages and `instanceof` checks are
 * compared as they are.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeTempDirs } from '../helpers/temp';
import { BATON_BACKENDS, closeAll, LIBSQL, localReadsServed } from './backends';
import { pick, runScenario } from './driver';
import type { Outcome } from './outcome';
import type { Difference, Scenario, Trace } from './scenario';

/** Baton's error classes and the libsql classes they extend. */
export const ERROR_CLASSES: Record<string, string> = { StoreError: 'LibsqlError', StoreBatchError: 'LibsqlBatchError' };

/** `outcome` with the constructor of a Baton error named as the libsql class it extends; its `name` is left as it is. */
export function asLibsqlClasses(outcome: Outcome): Outcome {
  if (!('error' in outcome)) return outcome;
  const { error } = outcome;
  return { error: { ...error, class: ERROR_CLASSES[error.class] ?? error.class } };
}

/** `difference` less its wire-only steps (undefined when none is left): what a member reading locally differs in. */
function withoutWireOnly(difference: Difference | undefined): Difference | undefined {
  if (difference?.wireOnly === undefined) return difference;
  const wireOnly = difference.wireOnly;
  const steps = Object.fromEntries(Object.entries(difference.steps).filter(([label]) => !wireOnly.includes(label)));
  return Object.keys(steps).length === 0 ? undefined : { ...difference, steps };
}

/** The section of docs/api.md that lists every deliberate difference. */
export function differencesSection(): string {
  const api = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'api.md'), 'utf8');
  const start = api.indexOf('## Differences from @libsql/client');
  if (start < 0) return '';
  const end = api.indexOf('\n## ', start + 1);
  return api.slice(start, end < 0 ? undefined : end);
}

/** Registers one test per scenario and Baton backend, and one that every difference is documented. */
export function differentialSuite(scenarios: Scenario[]): void {
  afterEach(async () => {
    await closeAll();
    removeTempDirs();
  });

  test('every difference these scenarios allow is in docs/api.md under "Differences from @libsql/client"', () => {
    const section = differencesSection();
    const documented = scenarios.flatMap((s) => (s.difference === undefined ? [] : [s.difference.documented]));
    expect(documented.filter((phrase) => !section.includes(phrase))).toEqual([]);
  });

  describe.each(BATON_BACKENDS)('$name agrees with @libsql/client', (backend) => {
    for (const scenario of scenarios) {
      const difference = backend.readsLocally === true ? withoutWireOnly(scenario.difference) : scenario.difference;
      const title =
        difference === undefined ? scenario.name : `${scenario.name} (documented difference: ${difference.reason})`;
      test(title, async () => {
        const expected = await runScenario(LIBSQL, scenario);
        const actual: Trace = (await runScenario(backend, scenario)).map(([label, outcome]) => [
          label,
          asLibsqlClasses(outcome),
        ]);
        const differing = Object.keys(difference?.steps ?? {});
        expect(pick(actual, differing, false)).toEqual(pick(expected, differing, false));
        for (const [label, batonDoes] of Object.entries(difference?.steps ?? {})) {
          const ours = actual.find(([l]) => l === label)?.[1];
          const theirs = expected.find(([l]) => l === label)?.[1];
          expect({ label, outcome: ours }).toMatchObject({ label, outcome: batonDoes });
          expect({ label, outcome: theirs }).not.toMatchObject({ label, outcome: batonDoes });
        }
      });
    }
  });

  // Declared last, so it runs after every scenario above (jest runs a file's tests in order).
  test('the member reading locally served reads itself in these scenarios (the local path ran, not only the leader)', async () => {
    await closeAll();
    expect(localReadsServed()).toBeGreaterThan(0);
  });
}
