/**
 * Simulated agent work: takes a random time between `minMs` and `maxMs`, then succeeds, or
 * fails with probability `failRate`. Stands in for the real agent runs of the platform.
 */
import type { Task } from '../types';
import type { WorkerConfig } from './config';

/** How a piece of work ended. */
export type WorkOutcome = { ok: true; result: string } | { ok: false; error: string };

/** Work run for one claimed task; `signal` aborts it (the claim was lost, or the gateway stops). */
export type Work = (task: Task, signal: AbortSignal) => Promise<WorkOutcome>;

/**
 * A `Work` that sleeps a random time and then succeeds or fails. The random source is
 * injectable so tests can make outcomes deterministic.
 */
export function simulatedWork(config: WorkerConfig, random: () => number = Math.random): Work {
  return (task, signal) =>
    new Promise((resolve) => {
      const ms = config.minMs + Math.floor(random() * (config.maxMs - config.minMs + 1));
      const fails = random() < config.failRate;
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(
          fails
            ? { ok: false, error: `simulated failure after ${ms} ms` }
            : { ok: true, result: `${task.id} done in ${ms} ms` },
        );
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve({ ok: false, error: 'aborted' });
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
}
