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
  /** Reader processes (`reads: 'local'`, never candidates) besides the members; 0 with lockfile. */
  readers: number;
  /** Replace the database file under the live fleet every 10-20 s (flock only). */
  replace: boolean;
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
schedule (SIGKILL of the leader every 0.5-2 s, SIGKILL of followers and readers,
SIGSTOP/SIGCONT of the leader, followers and readers, graceful restarts, schema init calls,
bursts of large batches, interactive transactions and pipelined writes, and a replacement
of the database file by a fresh one every 10-20 s), then stops everything and checks every
generation of the database with the sqlite3 CLI: every acknowledged row present exactly
once in a file (and in an earlier, replaced file only when committed there as it went, its
reply lost with its leader), no row that was never requested, no batch or transaction partly
applied, PRAGMA integrity_check = ok in every file, epoch histories strictly increasing with
no epoch led by two processes and matching the leaders seen, every read by a reader saw
every write acknowledged before it started, and never two processes with the database open
(with readers: open for writing), checked by an opener tracker that sees every open of the
database, -wal and -shm when the runner is root and cc is found, else by sampling /proc.

Options:
  --seconds <n>   how long to inject faults (default 60)
  --members <n>   fleet size, 2 to 32 (default 7)
  --seed <s>      seed of the fault schedule and workload (default: random, printed)
  --loops <n>     writer loops per member, 1 to 16 (default 2)
  --readers <n>   reader processes besides the members, 0 to 16 (default 2; 0 with lockfile,
                  which refuses reads: 'local'): each opens the store with reads: 'local' and
                  candidate: false and reads in a loop which file it sees (its generation)
                  and max(rowid) there, logging the monotonic time each read started; the
                  verdict checks that no read missed a write acknowledged before it started
                  (writers log the monotonic time of each acknowledgement), nor read a
                  replaced file after a write was acknowledged in its successor, and that
                  reads were served locally. Readers are killed, paused and restarted like
                  followers. With readers the openers check is "one writer": never two
                  processes with the database file open for writing; and the Node members of
                  odd slots read locally too (after one write in five), so leaders read locally
  --no-replace    do not replace the database file (by default, with flock, every 10-20 s
                  the runner swaps a fresh file with the chaos schema into place, atomically,
                  and keeps the old one as lost-<g>.db; the leader notices and steps down, and
                  the verdict reads every generation, each lost file with the -wal its leader
                  moved aside; writes acknowledged in a lost file are counted as lost to the
                  replacement, not to Baton). Faults go on after a replacement: a leader
                  killed before it noticed leaves the lost file's -wal at the path, and the
                  next leader moves it aside before opening the new file. Needs python3 (the
                  swap is renameat2 RENAME_EXCHANGE, which Node does not offer)
  --python <n>    run <n> of the member slots with the Python member (python/baton, through
                  python/chaos/member.py; needs python3 3.11+), the odd slots first, so that
                  leadership passes between Node and Python; flock only (default 0)
  --lock <mode>   flock (default) or lockfile. With lockfile the election is a lease: leader
                  kills come every 3-6 s, pauses are twice as frequent and last up to 4 s,
                  and members time out after 3 s, so paused leaders are overtaken and
                  fencing must refuse their commits when they resume; two processes may
                  then have the database open while one of them is a leader the runner
                  paused (reported; any other overlap is a violation), and requests may
                  fail with TIMEOUT or NO_LEADER. No readers (the lease refuses reads:
                  'local') and no file replacement
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
  npm run chaos -- --readers 3
  node scripts/dist/chaos/main.js --seconds 20 --members 4 --json
`;

/** A command-line mistake: print the message and exit 2. */
export class ChaosUsageError extends Error {}

const SPEC = {
  seconds: { type: 'string' },
  members: { type: 'string' },
  seed: { type: 'string' },
  loops: { type: 'string' },
  readers: { type: 'string' },
  'no-replace': { type: 'boolean' },
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
  if (lock === 'lockfile' && values.readers !== undefined && values.readers.trim() !== '0')
    throw new ChaosUsageError("--readers needs --lock flock: the lockfile election refuses reads: 'local'");
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
    readers: integer('readers', values.readers, lock === 'flock' ? 2 : 0, 0, 16),
    replace: lock === 'flock' && values['no-replace'] !== true,
    openers,
    json: values.json === true,
    keep: values.keep === true,
    help: values.help === true,
  };
}
