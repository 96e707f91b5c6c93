/**
 * The shape of a conformance scenario: a named sequence of steps against a `Client` on a fresh
 * database. The driver runs each scenario once on @libsql/client and once on each Baton
 * backend and compares the recorded outcomes step by step.
 */
import type { Client, IntMode } from '@libsql/client';
import type { Outcome } from './outcome';

/** What a scenario gets: its client and a recorder for the outcomes to compare. */
export interface ScenarioContext {
  /** The client under test, on a fresh database, with the scenario's `intMode`. */
  client: Client;
  /**
   * Runs `work` and records what it came to (its value or its error) under `label`. The
   * scenario carries on after a failed step; the returned promise resolves with the value, or
   * `undefined` when the step failed.
   */
  step<T>(label: string, work: () => T): Promise<Awaited<T> | undefined>;
  /** A second client of the same kind on the same database (another Baton member, another libsql client). */
  second(): Promise<Client>;
}

/** A difference from @libsql/client that Baton makes on purpose, documented in docs/api.md. */
export interface Difference {
  /** Why, as docs/api.md says it. */
  reason: string;
  /**
   * The steps whose outcomes differ (by label). Every other step must still agree with
   * libsql, and these must NOT agree, so the difference is proven rather than assumed.
   */
  steps: string[];
}

/** One scenario of the differential suite. */
export interface Scenario {
  /** What it shows, as a test name. */
  name: string;
  /** `intMode` of the clients (libsql's default, `'number'`, when absent). */
  intMode?: IntMode;
  /** SQL run with `executeMultiple` before the steps (not compared). */
  setup?: string;
  run(ctx: ScenarioContext): Promise<void>;
  /** Set when Baton differs on purpose in some steps. */
  difference?: Difference;
}

/** The recorded steps of one run. */
export type Trace = [label: string, outcome: Outcome][];
