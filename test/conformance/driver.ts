/**
 * Runs one scenario on one backend and records its trace: the outcome of every step, in order.
 * A step that throws is recorded and the scenario goes on, so one difference does not hide the
 * next. An error escaping the steps themselves is recorded as the step `(scenario)`.
 */
import type { Backend } from './backends';
import { describeError, outcomeOf } from './outcome';
import type { Scenario, Trace } from './scenario';

/** Runs `scenario` on a fresh database of `backend`. */
export async function runScenario(backend: Backend, scenario: Scenario): Promise<Trace> {
  const { client, second } = await backend.open(scenario.intMode ?? 'number');
  if (scenario.setup !== undefined) await client.executeMultiple(scenario.setup);
  const trace: Trace = [];
  const labels = new Set<string>();
  try {
    await scenario.run({
      client,
      second,
      async step<T>(label: string, work: () => T): Promise<Awaited<T> | undefined> {
        if (labels.has(label)) throw new Error(`scenario "${scenario.name}" has two steps labelled "${label}"`);
        labels.add(label);
        let value: Awaited<T> | undefined;
        const outcome = await outcomeOf(async () => (value = await work()));
        trace.push([label, outcome]);
        return value;
      },
    });
  } catch (error) {
    trace.push(['(scenario)', { error: describeError(error) }]);
  }
  return trace;
}

/** The entries of `trace` whose labels are (or, with `keep` false, are not) in `labels`. */
export function pick(trace: Trace, labels: readonly string[], keep: boolean): Trace {
  return trace.filter(([label]) => labels.includes(label) === keep);
}
