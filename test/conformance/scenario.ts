/**
 * The shape of a conformance scenario: a named sequence of steps against a `Client` on a fresh
 * database. The driver runs each scenario once on @libsql/client and once on each Baton
 * backend and compares the recorded outcomes step by step.
 */
import type { Client, IntMode } from '@libsql/client';
import type { Described, DescribedError, Outcome } from './outcome';

/** What a scenario gets: its client and a recorder for the outcomes to compare. */
export interface ScenarioContext {
  /** The client under test, on a fresh database, with the scenario's `intMode`. */
  client: Client;
  /**
   * Runs `work` and records what it came to (its value or its error) under `label`. The
   * scenario carries on after a failed step; the returned promise resolves with the value, or
   * `undefined` when the step failed.
   */
  step: <T>(label: string, work: () => T) => Promise<Awaited<T> | undefined>;
  /** A second client of the same kind on the same database (another Baton member, another libsql client). */
  second: () => Promise<Client>;
}

/** A difference from @libsql/client that Baton makes on purpose, documented in docs/api.md. */
export interface Difference {
  /** Why, in a few words (shown in the test name). */
  reason: string;
  /**
   * A phrase of docs/api.md's "Differences from @libsql/client" section that documents it; the
   * suite checks that the section says it.
   */
  documented: string;
  /**
   * What Baton does instead at the steps that differ, by label: a partial outcome that Baton's
   * must match (`toMatchObject`), while libsql's must not. Every other step must agree.
   */
  steps: Record<string, Expected>;
  /**
   * Of `steps`, the reads whose difference comes from the wire: a member with `reads: 'local'`
   * runs them on its own connection, without the wire, and agrees with libsql there.
   */
  wireOnly?: string[];
}

/** What Baton's outcome of a differing step must match. */
export type Expected = { ok: Described } | { error: Partial<DescribedError> };

/** A refusal with Baton's (or libsql's) `code`, as a `LibsqlError`. */
export function refused(code: string): Expected {
  return { error: { code: ['string', code], libsqlError: true } };
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
