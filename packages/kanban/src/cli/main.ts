/**
 * The `kanban` CLI runner: parses the command line, connects to the board's store as a member
 * (it leads only if no gateway does, and hands over when it exits), runs one command, prints
 * its result and maps failures to exit codes. Data goes to stdout, diagnostics to stderr;
 * `--json` prints exactly one JSON document (the result, or `{ "error": { code, message } }`).
 */
import { openStore, StoreError, type Store } from '@baton/store';
import { Board } from '../board';
import { KanbanError } from '../errors';
import { KANBAN_MIGRATIONS } from '../schema';
import { parseArgs, UsageError, type ParsedArgs } from './args';
import { COMMANDS } from './commands';

/** Exit codes of `kanban`: 0, 1 and 2 as every Baton command (`baton` too); 3 is claim's "nothing ready". */
export const EXIT = { ok: 0, failed: 1, usage: 2, nothingToDo: 3 } as const;

/** Where the CLI writes; replaceable in tests. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

const DEFAULT_IO: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
};

/** The help text: usage, commands, options, exit codes, examples. */
export function helpText(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return `Usage: kanban [--board <path>] [--as <profile>] [--json] <command> [args]

The kanban board of a gateway fleet, through Baton: every command is a member of the board's
store, so it never opens the database file itself while a gateway leads.

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join('\n')}

Options:
  --board <path>     the board's database file (default: $KANBAN_BOARD)
  --as <profile>     who you are in the event log and for claims (default: $KANBAN_PROFILE, else "cli")
  --json             print exactly one JSON document
  --timeout-ms <n>   give up after n ms without a leader (default 10000)
  -h, --help         help (kanban <command> --help for one command)

Exit codes (0, 1 and 2 mean the same for every Baton command):
  0  ok
  1  the operation failed (error on stderr)
  2  bad command line: nothing was done
  3  nothing to do: claim found no ready task

Examples:
  kanban --board ~/.hermes/kanban.db init
  kanban create "write the release notes" --priority 5 --key notes-1.2
  kanban list --status ready --json
  kanban --as architect claim
  kanban complete r_0123456789abcdef --result "shipped"
  kanban tail --follow
`;
}

function commandHelp(name: string): string {
  const command = COMMANDS[name]!;
  return `Usage: kanban [--board <path>] [--as <profile>] [--json] ${command.usage}\n\n${command.summary}\n`;
}

/** The message and code of any failure. */
function describe(error: unknown): { code: string; message: string } {
  if (error instanceof KanbanError || error instanceof StoreError) {
    const prefix = `${error.code}: `;
    return {
      code: error.code,
      message: error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message,
    };
  }
  return { code: 'UNKNOWN', message: error instanceof Error ? error.message : String(error) };
}

/** Runs the CLI with `argv` (without node and the script). Resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo = DEFAULT_IO): Promise<number> {
  let parsed: ParsedArgs;
  const json = argv.includes('--json');
  const fail = (code: number, error: unknown, hint = ''): number => {
    const { code: errorCode, message } = describe(error);
    if (json) io.out(`${JSON.stringify({ error: { code: errorCode, message } })}\n`);
    else io.err(`kanban: ${message} (${errorCode})\n${hint}`);
    return code;
  };
  try {
    parsed = parseArgs(argv, COMMANDS);
  } catch (error) {
    return fail(EXIT.usage, error, '\nRun "kanban --help" for usage.\n');
  }
  const { command, positionals, flags } = parsed;
  if (flags.help === true || command === null) {
    if (command === null && flags.help !== true) {
      io.err(helpText());
      return EXIT.usage;
    }
    io.out(command === null ? helpText() : commandHelp(command));
    return EXIT.ok;
  }
  const spec = COMMANDS[command]!;
  if (positionals.length < spec.args[0] || positionals.length > spec.args[1]) {
    return fail(
      EXIT.usage,
      new UsageError(
        `"${command}" takes ${spec.args[0] === spec.args[1] ? spec.args[0] : `${spec.args[0]} to ${spec.args[1]}`} argument(s), got ${positionals.length}`,
      ),
      `\n${commandHelp(command)}`,
    );
  }
  const boardPath = typeof flags.board === 'string' ? flags.board : io.env.KANBAN_BOARD;
  if (boardPath === undefined || boardPath === '')
    return fail(EXIT.usage, new UsageError('no board: pass --board <path> or set KANBAN_BOARD'));
  const actor = typeof flags.as === 'string' ? flags.as : (io.env.KANBAN_PROFILE ?? 'cli');

  let store: Store | null = null;
  try {
    const board = {
      path: boardPath,
      name: `kanban-${command}`,
      migrations: KANBAN_MIGRATIONS,
      requestTimeoutMs: typeof flags['timeout-ms'] === 'number' ? flags['timeout-ms'] : 10_000,
    };
    store = await openStore(board);
    const result = await spec.run({
      board: new Board(store, actor),
      store,
      positionals,
      flags,
      print: (text) => io.out(`${text}\n`),
    });
    io.out(
      json
        ? `${JSON.stringify(result.data, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}\n`
        : `${result.text}\n`,
    );
    return result.exitCode ?? EXIT.ok;
  } catch (error) {
    const usage =
      error instanceof UsageError ||
      (error instanceof KanbanError && error.code === 'INVALID_ARGUMENT') ||
      (error instanceof StoreError && error.code === 'INVALID_ARGUMENT');
    return fail(usage ? EXIT.usage : EXIT.failed, error);
  } finally {
    await store?.close();
  }
}
