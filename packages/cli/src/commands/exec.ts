/**
 * `baton exec <db> "<sql>" [args...]`: one statement through the leader. A table on a
 * terminal, tab-separated lines into a pipe, the result set under `--json`.
 */
import { Command, Option } from 'commander';
import type { InValue, ResultSet } from '@baton/store';
import { examples, jsonOption, timeoutOption, type CommonOptions } from '../args';
import { CliError } from '../cli-error';
import { connect, withConnection } from '../connect';
import { EXIT_CODES_HELP, ExitCode } from '../exit-codes';
import { jsonSqlValue, type JsonValue } from '../format/json';
import { renderTable } from '../format/table';
import { displayValue, parseJsonArg, tsvValue } from '../format/values';
import type { Output } from '../output';
import { runAction, type CommandContext } from './context';

interface ExecOptions extends CommonOptions {
  jsonArgs?: boolean;
}

/** What `baton exec --json` prints. */
export interface ExecReport {
  columns: string[];
  /** Rows keyed by column name; bigints beyond 2^53 as strings, blobs as `{ "base64": ... }`. */
  rows: Record<string, JsonValue>[];
  rowsAffected: number;
  lastInsertRowid: JsonValue;
  hostedLeader: boolean;
}

function toArgs(args: string[], json: boolean): InValue[] {
  if (!json) return args;
  try {
    return args.map((arg, index) => parseJsonArg(arg, index + 1));
  } catch (error) {
    throw new CliError('USAGE', (error as Error).message);
  }
}

function toReport(result: ResultSet, hostedLeader: boolean): ExecReport {
  return {
    columns: result.columns,
    rows: result.rows.map((row) =>
      Object.fromEntries(Object.entries(row).map(([key, value]) => [key, jsonSqlValue(value)])),
    ),
    rowsAffected: result.rowsAffected,
    lastInsertRowid: result.lastInsertRowid === undefined ? null : jsonSqlValue(result.lastInsertRowid),
    hostedLeader,
  };
}

function render(result: ResultSet, out: Output): void {
  if (result.columns.length === 0) {
    const rowid =
      result.lastInsertRowid === undefined || result.rowsAffected === 0
        ? ''
        : `, last insert rowid ${result.lastInsertRowid}`;
    out.text(`${result.rowsAffected} ${result.rowsAffected === 1 ? 'row' : 'rows'} affected${rowid}`);
    return;
  }
  const cells = result.rows.map((row) => result.columns.map((column) => row[column]));
  if (out.interactive) {
    out.text(
      renderTable(
        result.columns,
        cells.map((r) => r.map(displayValue)),
        out.colors,
      ),
    );
    out.note(`${result.rows.length} ${result.rows.length === 1 ? 'row' : 'rows'}`);
  } else {
    out.text([result.columns.join('\t'), ...cells.map((r) => r.map(tsvValue).join('\t'))].join('\n'));
  }
}

/** Builds the `exec` command. */
export function execCommand(context: CommandContext): Command {
  return new Command('exec')
    .description('run one SQL statement through the leader and print its result')
    .argument('<db>', 'the database file')
    .argument('<sql>', 'the statement, with ? or :name placeholders')
    .argument('[args...]', 'values for the ? placeholders, passed as text (see --json-args)')
    .addOption(jsonOption())
    .addOption(new Option('--json-args', 'parse each argument as JSON: 42, 1.5, null, true, "text"'))
    .addOption(timeoutOption(30_000))
    .addHelpText(
      'after',
      `${examples([
        `baton exec kanban.db "SELECT id, status FROM tasks WHERE status = ?" ready`,
        `baton exec kanban.db "UPDATE tasks SET priority = ? WHERE id = ?" 3 t_1 --json-args`,
        `baton exec kanban.db "SELECT count(*) AS n FROM tasks" --json | jq .rows[0].n`,
      ])}\n\nOn a terminal: a table. Piped: a header line and tab-separated rows. --json: the result set.\nWith no leader running, this command hosts the leader for its own duration (and says so on stderr).\n\n${EXIT_CODES_HELP}`,
    )
    .action((db: string, sql: string, args: string[], options: ExecOptions) =>
      runAction(context, options.json === true, async (out) => {
        const values = toArgs(args, options.jsonArgs === true);
        const connection = await connect(db, { command: 'exec', mayLead: true, timeoutMs: options.timeout }, out);
        const result = await withConnection(connection, options.timeout, (store) => store.execute(sql, values));
        if (out.json) out.document(toReport(result, connection.hostsLeader));
        else render(result, out);
        return ExitCode.Ok;
      }),
    );
}
