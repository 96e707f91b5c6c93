/**
 * Test-only fault points. Tests set `BATON_FAULT=<point>:<marker>` in a member's environment;
 * when a group commit contains a statement whose SQL includes `<marker>`, the whole process is
 * SIGKILLed at `<point>`. Unset (always, in production) it costs one string comparison per group.
 *
 * Points: `crash-before-commit` (after executing, before COMMIT) and `crash-after-commit`
 * (after COMMIT, before any reply is sent).
 */

/** Where in a group commit a fault can be injected. */
export type FaultPoint = 'crash-before-commit' | 'crash-after-commit';

const spec = process.env.BATON_FAULT ?? '';
const separator = spec.indexOf(':');
const point = separator > 0 ? spec.slice(0, separator) : '';
const marker = separator > 0 ? spec.slice(separator + 1) : '';

/** Kills this process if the configured fault is `at` and one of `sqlTexts` carries the marker. */
export function maybeInjectFault(at: FaultPoint, sqlTexts: () => string[]): void {
  if (point !== at || marker === '') return;
  if (sqlTexts().some((sql) => sql.includes(marker))) process.kill(process.pid, 'SIGKILL');
}
