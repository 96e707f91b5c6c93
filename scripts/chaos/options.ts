/** Command-line options of the chaos runner: parsed by node:util's `parseArgs`, validated with precise messages. */
import { parseArgs } from 'node:util';
import { didYouMean } from '@baton/store';

export interface ChaosOptions {
  seconds: number;
  members: number;
  seed: string;
  /** Writer loops per member (requests each member keeps in flight, bursts aside). */
  loops: number;
  /** Member slots run by the Python member (python/chaos/member.py): the odd slots first, then the even ones. */
  python: number;
  /** The members' election: `flock` (default) or `lockfile` (a lease; see the help). */
  lock: 'flock' | 'lockfile';
  /**
   * How the one-opener guarantee is checked: `exact` (the fanotify opener tracker, every open
   * seen; needs root and a C compiler), `sample` (/proc sampled every 200 ms), or null: exact
   * when available, else sample (said on stderr and in the summary).
   */
  openers: 'exact' | 'sample' | null;
  json: boolean;
  /** Keep the temporary directory (database, write logs, member stderr) for inspection. */
  keep: boolean;
  help: boolean;
}

export const CHAOS_HELP = `Usage: node scripts/dist/chaos/main.js [options]     (npm run chaos -- [options])

Forks a fleet of Baton members writing rows with unique ids, injects faults from a seeded
schedule (SIGKILL of the leader every 0.5-2 s, SIGKILL of followers, SIGSTOP/SIGCONT of the
leader and of followers, graceful restarts, schema init calls, bursts of large batches,
interactive transactions and pipelined writes), then stops everything and checks the
database with the sqlite3 CLI: every acknowledged row present exactly once, no row that was
never requested, no batch or transaction partly applied, PRAGMA integrity_check = ok, an
epoch history that is strictly increasing, has no epoch led by two processes and matches the
leaders seen, and never two processes with the database open (checked by an opener tracker
that sees every open of the database, -wal and -shm when the runner is root and cc is found,
else by sampling /proc).

Options:
  --seconds <n>   how long to inject faults (default 60)
  --members <n>   fleet size, 2 to 32 (default 7)
  --seed <s>      seed of the fault schedule and workload (default: random, printed)
  --loops <n>     writer loops per member, 1 to 16 (default 2)
  --python <n>    run <n> of the member slots with the Python member (python/baton, through
                  python/chaos/member.py; needs python3 3.11+), the odd slots first, so that
                  leadership passes between Node and Python; flock only (default 0)
  --lock <mode>   flock (default) or lockfile. With lockfile the election is a lease: leader
                  kills come every 3-6 s, pauses are twice as frequent and last up to 4 s,
                  and members time out after 3 s, so paused leaders are overtaken and
                  fencing must refuse their commits when they resume; two processes may
                  then have the database open while one of them is a leader the runner
                  paused (reported; any other overlap is a violation), and requests may
                  fail with TIMEOUT or NO_LEADER
  --openers <m>   how "never two processes with the database open" is checked: exact (every
                  open seen by a fanotify tracker; needs root and cc) or sample (/proc read
                  every 200 ms; can miss a short overlap). Default: exact when available,
                  else sample, and the summary says which
  --json          print the summary as one JSON document on stdout (progress goes to stderr)
  --keep          keep the temporary directory (database, write logs, member stderr)
  -h, --help      show this help

The seed fixes every choice the runner makes (fault kinds, times, targets, workloads); the
operating system's timing still varies, so a failing seed usually, not always, fails again.

Exit codes:
  0  every check passed
  1  a check failed (the summary lists each violation), or the runner itself failed
     (for example the sqlite3 CLI is missing, or --openers exact cannot run; the message
     says which)
  2  bad command-line usage

Examples:
  npm run chaos
  npm run chaos -- --seconds 600 --seed 2024
  node scripts/dist/chaos/main.js --seconds 20 --members 4 --json
`;

/** A command-line mistake: print the message and exit 2. */
export class ChaosUsageError extends Error {}

const SPEC = {
  seconds: { type: 'string' },
  members: { type: 'string' },
  seed: { type: 'string' },
  loops: { type: 'string' },
  python: { type: 'string' },
  lock: { type: 'string' },
  openers: { type: 'string' },
  json: { type: 'boolean' },
  keep: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function integer(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max)
    throw new ChaosUsageError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return value;
}

/** `parseArgs`' own message, with a hint for a misspelt option. */
function usageError(error: Error & { code?: string }): ChaosUsageError {
  const unknown = /^Unknown option '(-{1,2}[^']*)'/.exec(error.message)?.[1];
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown !== undefined) {
    const near = didYouMean(unknown.replace(/^-+/, ''), Object.keys(SPEC));
    return new ChaosUsageError(
      `unknown option ${JSON.stringify(unknown)}${near === undefined ? '' : ` (did you mean --${near}?)`}`,
    );
  }
  return new ChaosUsageError(error.message);
}

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: SPEC, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw usageError(error as Error & { code?: string });
  }
}

/** Parses `argv` (without node and the script). Throws `ChaosUsageError`. */
export function parseChaosOptions(argv: string[]): ChaosOptions {
  const values = parse(argv);
  const lock = values.lock ?? 'flock';
  if (lock !== 'flock' && lock !== 'lockfile')
    throw new ChaosUsageError(`--lock must be flock or lockfile, got ${JSON.stringify(lock)}`);
  const openers = values.openers ?? null;
  if (openers !== null && openers !== 'exact' && openers !== 'sample')
    throw new ChaosUsageError(`--openers must be exact or sample, got ${JSON.stringify(openers)}`);
  if (values.seed === '') throw new ChaosUsageError('--seed needs a value');
  const members = integer('members', values.members, 7, 2, 32);
  const python = integer('python', values.python, 0, 0, members);
  if (python > 0 && lock === 'lockfile')
    throw new ChaosUsageError('--python needs the flock election: the Python member has no lockfile mode');
  return {
    seconds: integer('seconds', values.seconds, 60, 1, 24 * 3600),
    members,
    python,
    seed: values.seed ?? String(Date.now() % 1_000_000),
    loops: integer('loops', values.loops, 2, 1, 16),
    lock,
    openers,
    json: values.json === true,
    keep: values.keep === true,
    help: values.help === true,
  };
}
