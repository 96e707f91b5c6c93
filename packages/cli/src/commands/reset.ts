/**
 * `baton reset <db> --yes`: the safe "init". The leader drops every application table and
 * view and replays the recorded migrations in one transaction; members keep their
 * connections and the file is never deleted (deleting it under live processes is the very
 * failure Baton exists to prevent). Refuses without --yes.
 */
import { Command, Option } from 'commander';
import { examples, jsonOption, timeoutOption, type CommonOptions } from '../args';
import { CliError } from '../cli-error';
import { connect, withConnection } from '../connect';
import { EXIT_CODES_HELP, ExitCode } from '../exit-codes';
import { runAction, type CommandContext } from './context';

interface ResetOptions extends CommonOptions {
  yes?: boolean;
}

/** What `baton reset --json` prints. */
export interface ResetReport {
  database: string;
  reset: true;
  /** The schema version after the migrations were replayed. */
  schemaVersion: number;
  hostedLeader: boolean;
}

/** Builds the `reset` command. */
export function resetCommand(context: CommandContext): Command {
  return new Command('reset')
    .description('drop all application data and recreate the schema from its migrations, in one leader transaction')
    .argument('<db>', 'the database file')
    .addOption(new Option('-y, --yes', 'confirm: without it, reset refuses and changes nothing'))
    .addOption(jsonOption())
    .addOption(timeoutOption(30_000))
    .addHelpText(
      'after',
      `${examples(['baton reset /srv/hermes/kanban.db --yes'])}\n\nEvery table and view except Baton's own is dropped and the recorded migrations are\nreplayed, atomically. The database file is never deleted or truncated, so running members\nkeep working. With no leader running, this command hosts the leader for its own duration.\n\n${EXIT_CODES_HELP}`,
    )
    .action((db: string, options: ResetOptions) =>
      runAction(context, options.json === true, async (out) => {
        if (options.yes !== true) {
          throw new CliError(
            'CONFIRMATION_REQUIRED',
            'reset drops every table and view of the application and recreates the schema; nothing was changed. Run it again with --yes to do it.',
          );
        }
        const connection = await connect(db, { command: 'reset', mayLead: true, timeoutMs: options.timeout }, out);
        const schemaVersion = await withConnection(connection, options.timeout, async (store) => {
          await store.reset();
          return (await store.status()).leader.schemaVersion;
        });
        const report: ResetReport = {
          database: connection.paths.database,
          reset: true,
          schemaVersion,
          hostedLeader: connection.hostsLeader,
        };
        if (out.json) out.document(report);
        else
          out.text(
            `reset ${report.database}: application tables dropped, schema recreated at version ${schemaVersion}`,
          );
        return ExitCode.Ok;
      }),
    );
}
