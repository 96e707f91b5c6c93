/** The knobs of `npm run demo`, their defaults, validation and help text. */

/** The demo's settings. */
export interface DemoOptions {
  gateways: number;
  durationS: number;
  kills: number;
  rate: number;
  failRate: number;
  workMinMs: number;
  workMaxMs: number;
  /** Keep the board at this path (it must not exist yet); null: a temporary board, removed at the end. */
  board: string | null;
  plain: boolean;
}

/** The profiles of the original report: the first two dispatch. */
export const PROFILES = ['architect', 'wikid', 'a-dev', 'a-creative', 'a-eval', 'a-view', 'intel-pilot'];

export const DEMO_HELP = `Usage: npm run demo -- [options]

Starts a fleet of kanban gateways on one board through Baton, creates tasks from several of
them, runs "kanban init" twice under the live fleet, SIGKILLs the leader and restarts it, then
checks the board with an independent reader after every gateway has exited.

Options:
  --gateways <n>     gateways in the fleet, 3-20 (default 7: ${PROFILES.join(', ')};
                     architect and wikid dispatch, a-view is not a leader candidate)
  --duration <s>     seconds of task creation, 4-40 (default 20)
  --kills <n>        leader SIGKILLs during the run, 0-5 (default 2)
  --rate <n>         tasks created per second across the fleet, 1-200 (default 40)
  --fail-rate <p>    probability that a piece of simulated work fails, 0-0.5 (default 0.05)
  --work-ms <a-b>    simulated work time range in ms (default 50-400)
  --board <path>     keep the board at <path> (must not exist yet) instead of a temporary one
  --plain            plain progress lines even on a terminal
  -h, --help         this help

Exit codes: 0 every check passed, 1 a check failed, 2 bad options.`;

/** Raised for bad options: printed with the help, exit code 2. */
export class DemoUsageError extends Error {}

function number(name: string, value: string | undefined, min: number, max: number, integer: boolean): number {
  const n = Number(value);
  if (value === undefined || value === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new DemoUsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(value ?? null)}`);
  }
  return n;
}

/** Parses the demo's command line. Returns `null` for `--help`. Throws `DemoUsageError`. */
export function parseDemoOptions(argv: string[]): DemoOptions | null {
  const options: DemoOptions = { gateways: 7, durationS: 20, kills: 2, rate: 40, failRate: 0.05, workMinMs: 50, workMaxMs: 400, board: null, plain: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? arg.slice(2, eq < 0 ? undefined : eq) : arg;
    const value = (): string | undefined => (eq >= 0 ? arg.slice(eq + 1) : argv[++i]);
    switch (name) {
      case '-h':
      case 'help':
        return null;
      case 'gateways':
        options.gateways = number(name, value(), 3, 20, true);
        break;
      case 'duration':
        options.durationS = number(name, value(), 4, 40, false);
        break;
      case 'kills':
        options.kills = number(name, value(), 0, 5, true);
        break;
      case 'rate':
        options.rate = number(name, value(), 1, 200, false);
        break;
      case 'fail-rate':
        options.failRate = number(name, value(), 0, 0.5, false);
        break;
      case 'work-ms': {
        const range = value();
        const match = /^(\d+)-(\d+)$/.exec(range ?? '');
        if (match === null || Number(match[1]) > Number(match[2]) || Number(match[2]) > 10_000) throw new DemoUsageError(`--work-ms must be a range like 50-400 (at most 10000), got ${JSON.stringify(range ?? null)}`);
        options.workMinMs = Number(match[1]);
        options.workMaxMs = Number(match[2]);
        break;
      }
      case 'board': {
        const board = value();
        if (board === undefined || board === '') throw new DemoUsageError('--board needs a path');
        options.board = board;
        break;
      }
      case 'plain':
        options.plain = true;
        break;
      default:
        throw new DemoUsageError(`unknown option ${JSON.stringify(arg)}`);
    }
  }
  return options;
}

/** The fleet's profile names: the original seven, then gw-8, gw-9... */
export function profileNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => PROFILES[i] ?? `gw-${i + 1}`);
}
