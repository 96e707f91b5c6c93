/** The knobs of `npm run demo`, their defaults, validation and help text. */
import { numberFlag, parseFlags, UsageError } from '../shared';

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
  /** Gateways run by the Python gateway (python/kanban): 0, 1 (wikid, a dispatcher) or 2 (and a-dev, a creator). */
  python: number;
}

/** The profiles of the original report: the first two dispatch. */
export const PROFILES = ['architect', 'wikid', 'a-dev', 'a-creative', 'a-eval', 'a-view', 'intel-pilot'];

/** The `--help` text. */
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
  --python <n>       gateways that are Python processes (python/kanban/gateway.py), 0-2
                     (default 2: wikid dispatches, a-dev creates; needs python3 3.11+)
  --board <path>     keep the board at <path> (must not exist yet) instead of a temporary one
  --plain            plain progress lines even on a terminal
  -h, --help         this help

Exit codes (as for every Baton command): 0 every check passed, 1 a check failed, 2 bad options.`;

/** Parses the demo's command line. Returns `null` for `--help`. Throws `UsageError`. */
export function parseDemoOptions(argv: string[]): DemoOptions | null {
  const values = parseFlags(argv, {
    gateways: { type: 'string' },
    duration: { type: 'string' },
    kills: { type: 'string' },
    rate: { type: 'string' },
    'fail-rate': { type: 'string' },
    'work-ms': { type: 'string' },
    board: { type: 'string' },
    python: { type: 'string' },
    plain: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return null;
  const [workMinMs, workMaxMs] = workRange(values['work-ms']);
  if (values.board === '') throw new UsageError('--board needs a path');
  return {
    gateways: numberFlag('gateways', values.gateways, { min: 3, max: 20, integer: true }, 7),
    durationS: numberFlag('duration', values.duration, { min: 4, max: 40 }, 20),
    kills: numberFlag('kills', values.kills, { min: 0, max: 5, integer: true }, 2),
    rate: numberFlag('rate', values.rate, { min: 1, max: 200 }, 40),
    failRate: numberFlag('fail-rate', values['fail-rate'], { min: 0, max: 0.5 }, 0.05),
    workMinMs,
    workMaxMs,
    board: values.board ?? null,
    plain: values.plain,
    python: numberFlag('python', values.python, { min: 0, max: 2, integer: true }, 2),
  };
}

/** `--work-ms a-b`: a range of whole milliseconds, at most 10 s. */
function workRange(value: string | undefined): [number, number] {
  if (value === undefined) return [50, 400];
  const match = /^(\d+)-(\d+)$/.exec(value);
  if (match === null || Number(match[1]) > Number(match[2]) || Number(match[2]) > 10_000) {
    throw new UsageError(`--work-ms must be a range like 50-400 (at most 10000), got ${JSON.stringify(value)}`);
  }
  return [Number(match[1]), Number(match[2])];
}

/** The fleet's profile names: the original seven, then gw-8, gw-9... */
export function profileNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => PROFILES[i] ?? `gw-${i + 1}`);
}
