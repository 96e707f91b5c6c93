/** Command-line options of the chaos runner, validated with precise messages. */

export interface ChaosOptions {
  seconds: number;
  members: number;
  seed: string;
  /** Writer loops per member (requests each member keeps in flight, bursts aside). */
  loops: number;
  /** The members' election: `flock` (default) or `lockfile` (a lease; see the help). */
  lock: 'flock' | 'lockfile';
  json: boolean;
  /** Keep the temporary directory (database, write logs, member stderr) for inspection. */
  keep: boolean;
  help: boolean;
}

export const CHAOS_HELP = `Usage: node scripts/dist/chaos.js [options]     (npm run chaos -- [options])

Forks a fleet of Baton members writing rows with unique ids, injects faults from a seeded
schedule (SIGKILL of the leader every 0.5-2 s, SIGKILL of followers, SIGSTOP/SIGCONT of the
leader, graceful restarts, schema init calls, bursts of large batches, interactive
transactions and pipelined writes), then stops everything and checks the database with the
sqlite3 CLI: every acknowledged row present exactly once, no row that was never requested,
no batch or transaction partly applied, PRAGMA integrity_check = ok, an epoch history that
is strictly increasing and matches the leaders seen, and never two processes with the
database open.

Options:
  --seconds <n>   how long to inject faults (default 60)
  --members <n>   fleet size, 2 to 32 (default 7)
  --seed <s>      seed of the fault schedule and workload (default: random, printed)
  --loops <n>     writer loops per member, 1 to 16 (default 2)
  --lock <mode>   flock (default) or lockfile. With lockfile the election is a lease: leader
                  kills come every 3-6 s, pauses are twice as frequent and last up to 4 s,
                  and members time out after 3 s, so paused leaders are overtaken and
                  fencing must refuse their commits when they resume; two processes may
                  then have the database open (reported, not a violation), and requests may
                  fail with TIMEOUT or NO_LEADER
  --json          print the summary as one JSON document on stdout (progress goes to stderr)
  --keep          keep the temporary directory (database, write logs, member stderr)
  -h, --help      show this help

The seed fixes every choice the runner makes (fault kinds, times, targets, workloads); the
operating system's timing still varies, so a failing seed usually, not always, fails again.

Exit codes:
  0  every check passed
  1  a check failed (the summary lists each violation)
  2  bad command-line usage
  3  the runner itself failed (for example the sqlite3 CLI is missing)

Examples:
  npm run chaos
  npm run chaos -- --seconds 600 --seed 2024
  node scripts/dist/chaos.js --seconds 20 --members 4 --json
`;

/** A command-line mistake: print the message and exit 2. */
export class ChaosUsageError extends Error {}

const FLAGS = ['--seconds', '--members', '--seed', '--loops', '--lock', '--json', '--keep', '--help', '-h'];

function integer(name: string, text: string | undefined, min: number, max: number): number {
  if (text === undefined) throw new ChaosUsageError(`${name} needs a value`);
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new ChaosUsageError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return value;
}

/** Parses `argv` (without node and the script). Throws `ChaosUsageError`. */
export function parseChaosOptions(argv: string[]): ChaosOptions {
  const options: ChaosOptions = {
    seconds: 60,
    members: 7,
    seed: String(Date.now() % 1_000_000),
    loops: 2,
    lock: 'flock',
    json: false,
    keep: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.startsWith('--') && argv[i]!.includes('=') ? [argv[i]!.slice(0, argv[i]!.indexOf('=')), argv[i]!.slice(argv[i]!.indexOf('=') + 1)] : [argv[i]!, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--seconds':
        options.seconds = integer('--seconds', value(), 1, 24 * 3600);
        break;
      case '--members':
        options.members = integer('--members', value(), 2, 32);
        break;
      case '--loops':
        options.loops = integer('--loops', value(), 1, 16);
        break;
      case '--lock': {
        const lock = value();
        if (lock !== 'flock' && lock !== 'lockfile') throw new ChaosUsageError(`--lock must be flock or lockfile, got ${JSON.stringify(lock ?? '')}`);
        options.lock = lock;
        break;
      }
      case '--seed': {
        const seed = value();
        if (seed === undefined || seed === '') throw new ChaosUsageError('--seed needs a value');
        options.seed = seed;
        break;
      }
      case '--json':
        options.json = true;
        break;
      case '--keep':
        options.keep = true;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      default: {
        const near = FLAGS.find((f) => f.startsWith(flag.slice(0, 4)) && flag.startsWith('-'));
        throw new ChaosUsageError(`unknown option ${JSON.stringify(flag)}${near ? ` (did you mean ${near}?)` : ''}`);
      }
    }
  }
  return options;
}
