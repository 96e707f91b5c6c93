/**
 * Declares the jest tests of a list of scenarios: each one runs on @libsql/client and on each
 * Baton backend (a leader-hosting member, a forwarding member), and the traces must be equal.
 * A scenario with a documented difference is named so in its title; its listed steps must
 * differ from libsql (the difference is real) and every other step must agree.
 */
import { removeTempDirs } from '../helpers/temp';
import { BATON_FORWARDING, BATON_LEADER, closeAll, LIBSQL } from './backends';
import { pick, runScenario } from './driver';
import type { Scenario } from './scenario';

/** Registers one test per scenario and Baton backend. */
export function differentialSuite(scenarios: Scenario[]): void {
  afterEach(async () => {
    await closeAll();
    removeTempDirs();
  });

  describe.each([BATON_LEADER, BATON_FORWARDING])('$name agrees with @libsql/client', (backend) => {
    for (const scenario of scenarios) {
      const { difference } = scenario;
      const title = difference === undefined ? scenario.name : `${scenario.name} (documented difference: ${difference.reason})`;
      test(title, async () => {
        const expected = await runScenario(LIBSQL, scenario);
        const actual = await runScenario(backend, scenario);
        if (difference === undefined) {
          expect(actual).toEqual(expected);
        } else {
          expect(pick(actual, difference.steps, false)).toEqual(pick(expected, difference.steps, false));
          expect(pick(actual, difference.steps, true)).not.toEqual(pick(expected, difference.steps, true));
        }
      });
    }
  });
}
