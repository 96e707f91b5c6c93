/** Pacing for the scripts: where a script waits on purpose (a schedule, a measuring window), not for an event. */

/** Resolves after `ms` milliseconds; a negative delay (a deadline already passed) resolves at once. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
