/** Command-line options of `npm run bench`: parsing, validation with precise messages, help text. */
import { numberFlag, parseFlags, UsageError } from '../shared';

/** The seven scenarios, by the names `--only` takes. */
export const SCENARIOS = ['writes', 'pipelined', 'mixed', 'read-latency', 'failover', 'first-write', 'memory'] as const;
/** One of `SCENARIOS`. */
export type ScenarioName = (typeof SCENARIOS)[number];

/** Parsed options. `null` means "the preset's value". */
export interface BenchOptions {
  help: boolean;
  quick: boolean;
  json: string | null;
  rounds: number;
  durationMs: number | null;
  warmupMs: number | null;
  kills: number | null;
  only: ScenarioName[] | null;
  /** Extra ms per fsync/fdatasync for every case; null: the full run's default (0, plus the FULL write cases again at 1). */
  flushMs: number | null;
}

/** The `--help` text: usage, scenarios, options, output, exit codes, examples. */
export const HELP = `Usage: npm run bench -- [options]
       node scripts/dist/bench/main.js [options]

Runs Baton, the minimal forwarding design (scripts/bench/minimal: one leader process, group
commit per event-loop turn, an exactly-once row per write, nothing else) and direct WAL access
(every process opens the database with better-sqlite3) side by side on this machine,
alternating them (A B C, then B C A, C A B, ...) for several rounds, and prints medians and the ratios
Baton/minimal and Baton/direct. Each run gets a fresh database and fresh processes, warms up
for 6 s (both forwarding designs' CPU per request has settled by then; the report prints the
warm-up curve and flags a run that had not), then measures. A run that starts while other
programs keep more than half of each core busy is marked noisy and is not a result.

Scenarios (all by default):
  writes        1/4/7 processes, one insert in flight each, synchronous FULL and NORMAL
  pipelined     the same with 64 requests in flight per process
  mixed         7 processes, 80% point reads / 20% inserts, FULL and NORMAL; Baton also
                with every member reading locally (reads: 'local'), beside the minimal
                design with members reading the file themselves (minimal-local)
  read-latency  a forwarded point read vs a raw Unix socket round trip (and a direct read),
                and a follower reading locally vs a direct read
  failover      SIGKILL the leader-hosting member under load, 7 members (20 kills), beside
                the kernel's teardown of the killed process (the floor of any failover), and
                the survivors' writes in the first second after each kill against the second
                before it
  first-write   a fresh process joining a running fleet: openStore, one write, close (20)
  memory        RSS of a follower (also one reading locally) and of the leader-hosting
                member vs the same program using better-sqlite3 directly

Options:
  --quick             reduced set, about five minutes: 7 writers at FULL and at NORMAL with
                      one in flight, 7 pipelined writers at NORMAL, read latency, 10
                      failovers, 10 first writes, memory once; 1000 ms windows after the
                      same 6 s warmup
  --json <file>       also write the results document (see docs/benchmarks.md) to <file>
  --rounds <n>        rounds per scenario (default 3; fewer is only for trying things out)
  --duration <ms>     measured window of each run (default 3000, --quick 1000)
  --warmup <ms>       warmup before each window (default 6000; shorter measures a cold fleet)
  --kills <n>         failovers to measure (default 20, --quick 10); fresh processes of
                      first-write too
  --only <list>       comma-separated scenarios to run, e.g. --only writes,failover
  --flush-ms <n>      make every fsync/fdatasync of both systems take at least n ms longer
                      (an LD_PRELOAD shim compiled with the machine's cc; 0 = the machine's
                      own flush). Without it the full run measures every case at the
                      machine's flush and the FULL write cases again at 1 ms; the measured
                      flush time is printed
  -h, --help          show this help

Output: the table goes to stdout, progress to stderr. Temporary databases live under the
system temp directory and are removed, and every forked process killed, even on Ctrl-C.

Exit codes: 0 every run completed (targets missed or not), 1 some run failed (see stderr and
"failures" in the JSON), 2 bad command line (as for every Baton command), 130/143 interrupted.

Examples:
  npm run bench -- --quick
  npm run bench -- --json bench.json
  npm run bench -- --only writes --rounds 1 --duration 1000
  npm run bench -- --only writes --flush-ms 1`;

/** Parses `argv` (without node and the script). Throws `UsageError` with a precise message. */
export function parseOptions(argv: string[]): BenchOptions {
  const values = parseFlags(argv, {
    help: { type: 'boolean', short: 'h' },
    quick: { type: 'boolean' },
    json: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    kills: { type: 'string' },
    only: { type: 'string' },
    'flush-ms': { type: 'string' },
  });
  let only: ScenarioName[] | null = null;
  if (values.only !== undefined) {
    const names = values.only
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    only = names.filter(isScenario);
    if (only.length !== names.length || only.length === 0)
      throw new UsageError(`--only takes a comma-separated list of ${SCENARIOS.join(', ')}; got "${values.only}"`);
  }
  if (values.json !== undefined && values.json.trim() === '') throw new UsageError('--json expects a file name');
  return {
    help: values.help === true,
    quick: values.quick === true,
    json: values.json ?? null,
    rounds: numberFlag('rounds', values.rounds, { min: 1, integer: true }, 3),
    durationMs: numberFlag('duration', values.duration, { min: 100, integer: true }, null),
    warmupMs: numberFlag('warmup', values.warmup, { min: 0, integer: true }, null),
    kills: numberFlag('kills', values.kills, { min: 1, integer: true }, null),
    only,
    flushMs: numberFlag('flush-ms', values['flush-ms'], { min: 0, max: 1000 }, null),
  };
}

function isScenario(name: string): name is ScenarioName {
  return (SCENARIOS as readonly string[]).includes(name);
}
