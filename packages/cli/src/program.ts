/**
 * The `baton` command tree (commander): the top-level help with the exit codes and examples,
 * `--version`, and one subcommand per file in ./commands.
 */
import { Command } from 'commander';
import { VERSION as STORE_VERSION } from '@baton/store';
import { examples } from './args';
import { backupCommand } from './commands/backup';
import { checkCommand } from './commands/check';
import type { CommandContext } from './commands/context';
import { execCommand } from './commands/exec';
import { resetCommand } from './commands/reset';
import { statusCommand } from './commands/status';
import { stepDownCommand } from './commands/step-down';
import { watchCommand } from './commands/watch';
import { EXIT_CODES_HELP } from './exit-codes';
import { cliVersion } from './version';

const DESCRIPTION =
  'See and steer the leader of a Baton store from a shell. Baton lets the processes of one host share one SQLite ' +
  'database: one elected leader opens the file, every other member forwards its statements to it. baton is an ' +
  'observer: it hosts the leader only when a command needs the database and no leader is running, and then says so.';

/**
 * Builds the program. Commander's own output goes through `context.io`; under `--json` its
 * error text is suppressed, because the caller prints the JSON error document instead.
 */
export function createProgram(context: CommandContext, json: boolean): Command {
  const program = new Command('baton')
    .description(DESCRIPTION)
    .version(`${cliVersion()} (store ${STORE_VERSION})`, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for baton or a command')
    .helpCommand('help [command]', 'show help for a command')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.io.stdout.write(text),
      writeErr: (text) => context.io.stderr.write(text),
      outputError: (text, write) => {
        if (!json) write(`${text}(run baton --help for usage)\n`);
      },
    })
    .addHelpText(
      'after',
      `${examples([
        'baton status /srv/hermes/kanban.db',
        'baton watch /srv/hermes/kanban.db',
        'baton check /srv/hermes/kanban.db --json',
        'baton exec /srv/hermes/kanban.db "SELECT count(*) FROM tasks"',
        'baton step-down /srv/hermes/kanban.db',
        'baton backup /srv/hermes/kanban.db /backups/kanban.db',
      ])}\n\nEvery command takes --json: one JSON document on stdout, nothing else.\n\n${EXIT_CODES_HELP}`,
    );
  for (const build of [
    statusCommand,
    watchCommand,
    checkCommand,
    execCommand,
    resetCommand,
    stepDownCommand,
    backupCommand,
  ]) {
    // Subcommands built apart from the program inherit its output and exit handling here.
    program.addCommand(build(context).copyInheritedSettings(program));
  }
  return program;
}
