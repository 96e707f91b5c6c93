/**
 * `baton backup <db> <dest>`: an online, consistent copy taken by the leader with
 * `VACUUM INTO` while members keep writing. The copy is a plain SQLite file any tool opens.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { examples, jsonOption, timeoutOption, type CommonOptions } from '../args';
import { CliError } from '../cli-error';
import { connect, withConnection } from '../connect';
import { EXIT_CODES_HELP, ExitCode } from '../exit-codes';
import { formatBytes, formatDuration } from '../format/units';
import { runAction, type CommandContext } from './context';

/** What `baton backup --json` prints. */
export interface BackupReport {
  database: string;
  /** The copy's absolute path. */
  dest: string;
  bytes: number;
  /** How long the copy took, request included (ms). */
  ms: number;
  hostedLeader: boolean;
}

/** Builds the `backup` command. */
export function backupCommand(context: CommandContext): Command {
  return new Command('backup')
    .description('write an online, consistent copy of the database, taken by the leader while members keep writing')
    .argument('<db>', 'the database file')
    .argument('<dest>', 'where to write the copy; must not exist yet')
    .addOption(jsonOption())
    .addOption(timeoutOption(120_000))
    .addHelpText(
      'after',
      `${examples(['baton backup /srv/hermes/kanban.db /backups/kanban-$(date +%F).db', 'baton backup kanban.db copy.db --json'])}\n\nThe leader process writes the copy, so <dest> must be writable by it. With no leader\nrunning, this command hosts the leader for its own duration (and says so on stderr).\n\n${EXIT_CODES_HELP}`,
    )
    .action((db: string, dest: string, options: CommonOptions) =>
      runAction(context, options.json === true, async (out) => {
        // The leader may run in another directory: hand it an absolute path.
        const target = path.resolve(dest);
        if (fs.existsSync(target))
          throw new CliError('DESTINATION_EXISTS', `${target} already exists; backup never overwrites a file`);
        const connection = await connect(db, { command: 'backup', mayLead: true, timeoutMs: options.timeout }, out);
        const startedAt = Date.now();
        const copy = await withConnection(connection, options.timeout, (store) => store.backup(target));
        const report: BackupReport = {
          database: connection.paths.database,
          dest: copy.dest,
          bytes: copy.bytes,
          ms: Date.now() - startedAt,
          hostedLeader: connection.hostsLeader,
        };
        if (out.json) out.document(report);
        else
          out.text(
            `backup of ${report.database} written to ${report.dest} (${formatBytes(report.bytes)}) in ${formatDuration(report.ms)}`,
          );
        return ExitCode.Ok;
      }),
    );
}
