/**
 * `baton watch <db>`: `status`, again every second. On a terminal the report is redrawn in
 * place; into a pipe it prints one summary line per report (one JSON document per line with
 * `--json`). Ctrl-C (or SIGTERM) stops it cleanly: the current sample finishes, the observer
 * connection closes, the cursor comes back, exit code 0.
 */
import { Command, Option } from 'commander';
import { examples, fileModeOption, jsonOption, positiveInteger, timeoutOption, type CommonOptions } from '../args';
import { resolveDatabase } from '../connect';
import { EXIT_CODES_HELP, ExitCode } from '../exit-codes';
import type { Output } from '../output';
import { StatusObserver } from '../status/status-observer';
import { renderStatus, summaryLine } from '../status/status-render';
import type { StatusReport } from '../status/status-report';
import { runAction, type CommandContext } from './context';
import { STATUS_TIMEOUT_MS } from './status';

interface WatchOptions extends CommonOptions {
  interval: number;
  fileMode: number;
  count?: number;
}

const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const CLEAR_SCREEN = '\x1b[2J';
const HOME = '\x1b[H';
const CLEAR_LINE_END = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';

/** Builds the `watch` command. */
export function watchCommand(context: CommandContext): Command {
  return new Command('watch')
    .description('show status refreshed every second: redrawn in place on a terminal, one line per refresh when piped')
    .argument('<db>', 'the database file')
    .addOption(jsonOption())
    .addOption(fileModeOption())
    .addOption(
      new Option('--interval <ms>', 'time between refreshes, in milliseconds')
        .default(1_000)
        .argParser(positiveInteger('--interval')),
    )
    .addOption(
      new Option('-n, --count <n>', 'stop after n refreshes (default: until Ctrl-C)').argParser(
        positiveInteger('--count'),
      ),
    )
    .addOption(timeoutOption(STATUS_TIMEOUT_MS, 'report the leader unresponsive when it does not answer within this'))
    .addHelpText(
      'after',
      `${examples(['baton watch /srv/hermes/kanban.db', 'baton watch kanban.db >> baton.log', 'baton watch kanban.db --json --count 10'])}\n\nWith --json, prints one JSON document (the status report) per line, one line per refresh.\nNever becomes the leader. Ctrl-C exits with code 0.\n\n${EXIT_CODES_HELP}`,
    )
    .action((db: string, options: WatchOptions) =>
      runAction(context, options.json === true, async (out) => {
        await watch(
          new StatusObserver(resolveDatabase(db), options.timeout, 'baton watch', options.fileMode),
          options,
          out,
          context,
        );
        return ExitCode.Ok;
      }),
    );
}

async function watch(
  observer: StatusObserver,
  options: WatchOptions,
  out: Output,
  context: CommandContext,
): Promise<void> {
  const live = out.interactive && !out.json;
  let stopped = false;
  let wake: (() => void) | null = null;
  const dispose = context.io.onInterrupt(() => {
    stopped = true;
    wake?.();
  });
  if (live) context.io.stdout.write(HIDE_CURSOR + CLEAR_SCREEN);
  try {
    for (let refresh = 1; !stopped; refresh++) {
      const startedAt = Date.now();
      show(await observer.sample(), options, out, live);
      if (options.count !== undefined && refresh >= options.count) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, options.interval - (Date.now() - startedAt)));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    dispose();
    if (live) context.io.stdout.write(SHOW_CURSOR);
    await observer.close();
  }
}

function show(report: StatusReport, options: WatchOptions, out: Output, live: boolean): void {
  if (out.json) return out.document(report);
  if (!live) return out.text(summaryLine(report));
  const footer = out.colors.dim(`refreshing every ${options.interval} ms; Ctrl-C to exit`);
  // Home, then overwrite each line and clear what is left of the previous frame: no flicker.
  const frame = `${renderStatus(report, out.colors)}\n\n${footer}`
    .split('\n')
    .map((line) => line + CLEAR_LINE_END)
    .join('\n');
  out.io.stdout.write(`${HOME}${frame}\n${CLEAR_BELOW}`);
}
