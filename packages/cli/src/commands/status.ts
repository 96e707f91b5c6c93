/** `baton status <db>`: who leads, who is connected, load, files and leader changes. */
import { Command } from 'commander';
import { examples, fileModeOption, jsonOption, timeoutOption, type CommonOptions } from '../args';
import { resolveDatabase } from '../connect';
import { EXIT_CODES_HELP, ExitCode } from '../exit-codes';
import { StatusObserver } from '../status/status-observer';
import { renderStatus } from '../status/status-render';
import { runAction, type CommandContext } from './context';

/** The leader counts as unresponsive when it does not answer within this (the "a second"). */
export const STATUS_TIMEOUT_MS = 1_000;

/** Builds the `status` command. */
export function statusCommand(context: CommandContext): Command {
  return new Command('status')
    .description('show the leader, the members, the load, the database files and the last leader changes')
    .argument('<db>', 'the database file')
    .addOption(jsonOption())
    .addOption(fileModeOption())
    .addOption(timeoutOption(STATUS_TIMEOUT_MS, 'report the leader unresponsive when it does not answer within this'))
    .addHelpText(
      'after',
      `${examples(['baton status /srv/hermes/kanban.db', 'baton status kanban.db --json | jq .leader.pid'])}\n\nNever becomes the leader. Exit code 1 when there is no leader or it does not answer.\n\n${EXIT_CODES_HELP}`,
    )
    .action((db: string, options: CommonOptions & { fileMode: number }) =>
      runAction(context, options.json === true, async (out) => {
        const observer = new StatusObserver(resolveDatabase(db), options.timeout, 'baton status', options.fileMode);
        const report = await observer.sample().finally(() => observer.close());
        if (out.json) out.document(report);
        else out.text(renderStatus(report, out.colors));
        return report.state === 'ok' ? ExitCode.Ok : ExitCode.Failed;
      }),
    );
}
