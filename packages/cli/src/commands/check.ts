/**
 * `baton check <db>`: `PRAGMA integrity_check` and `PRAGMA foreign_key_check`, run by the
 * leader (the only process allowed to open the file), and whether the store's files are closed
 * to other users. With no leader, this command hosts one. On the way it removes sockets of
 * dead leaders from the runtime directory.
 */
import { Command } from 'commander';
import { removeStaleSockets, StoreError, type Store, type Value } from '@baton/store';
import { examples, fileModeOption, jsonOption, timeoutOption, type CommonOptions } from '../args';
import { connect, withConnection } from '../connect';
import { EXIT_CODES_HELP, ExitCode } from '../exit-codes';
import type { Output } from '../output';
import { permissionsReport, type PermissionsReport } from '../probe/permissions';
import { runAction, type CommandContext } from './context';

/** One row of `PRAGMA foreign_key_check`. */
export interface ForeignKeyViolation {
  table: string;
  rowid: number | null;
  parent: string;
  fkid: number;
}

/** What `baton check --json` prints. */
export interface CheckReport {
  database: string;
  /** True when every check passed. */
  ok: boolean;
  /** `messages` is `["ok"]` for a healthy database, else SQLite's findings, one per entry (at most 100). */
  integrity: { ok: boolean; messages: string[] };
  foreignKeys: { ok: boolean; violations: ForeignKeyViolation[] };
  permissions: PermissionsReport;
  /** Sockets of dead leaders (of any store of this user) that this run removed from the runtime directory. */
  staleSocketsRemoved: string[];
  /** True when no leader was running and this command hosted it. */
  hostedLeader: boolean;
}

/** How many integrity findings the text output lists. */
const SHOWN_FINDINGS = 20;

/** SQLite reports a damaged file by failing the statement rather than returning findings. */
function isCorruption(error: unknown): error is StoreError {
  return error instanceof StoreError && /^SQLITE_(CORRUPT|NOTADB)/.test(error.extendedCode ?? '');
}

/** A text column of a PRAGMA's result (SQLite reports names and messages as text). */
function textOf(value: Value | undefined): string {
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'bigint' ? value.toString() : '';
}

async function integrity(store: Store): Promise<string[]> {
  try {
    const result = await store.execute('PRAGMA integrity_check');
    // Newer SQLite packs its findings into one value, one per line, under a per-schema header.
    return result.rows
      .flatMap((row) => textOf(row[0]).split('\n'))
      .filter((line) => line !== '' && !/^\*\*\* in database \S+ \*\*\*$/.test(line));
  } catch (error) {
    if (isCorruption(error)) return [error.toWire().message];
    throw error;
  }
}

async function foreignKeys(store: Store): Promise<{ violations: ForeignKeyViolation[]; error: string | null }> {
  try {
    const result = await store.execute('PRAGMA foreign_key_check');
    const violations = result.rows.map((row) => ({
      table: textOf(row.table),
      rowid: row.rowid === null || row.rowid === undefined ? null : Number(row.rowid),
      parent: textOf(row.parent),
      fkid: Number(row.fkid),
    }));
    return { violations, error: null };
  } catch (error) {
    if (isCorruption(error)) return { violations: [], error: error.toWire().message };
    throw error;
  }
}

function render(report: CheckReport, out: Output): string {
  const { green, red, bold } = out.colors;
  const lines = [
    `${bold('integrity_check')}    ${report.integrity.ok ? green('ok') : red(`FAILED (${report.integrity.messages.length} findings)`)}`,
  ];
  if (!report.integrity.ok) {
    const shown = report.integrity.messages.slice(0, SHOWN_FINDINGS);
    lines.push(...shown.map((m) => `  ${m}`));
    const hidden = report.integrity.messages.length - shown.length;
    if (hidden > 0) lines.push(`  … and ${hidden} more (--json lists them all)`);
  }
  const fk = report.foreignKeys;
  lines.push(
    `${bold('foreign_key_check')}  ${fk.ok ? green('ok') : red(`FAILED (${fk.violations.length} violations)`)}`,
  );
  for (const v of fk.violations)
    lines.push(`  ${v.table} rowid ${v.rowid ?? '-'} refers to a missing row of ${v.parent} (constraint ${v.fkid})`);
  const permissions = report.permissions;
  lines.push(
    `${bold('permissions')}        ${permissions.ok ? green('ok') : red(`TOO OPEN (${permissions.exposed.length} files beyond ${permissions.fileMode})`)}`,
  );
  for (const file of permissions.exposed) lines.push(`  ${file.mode} ${file.path}`);
  if (permissions.fix !== null) lines.push(`  fix: ${permissions.fix}`);
  if (report.staleSocketsRemoved.length > 0)
    lines.push(`${bold('stale sockets')}      removed ${report.staleSocketsRemoved.length} of dead leaders`);
  lines.push(report.ok ? green(`${report.database} is healthy`) : red(`${report.database} FAILED the check`));
  return lines.join('\n');
}

/** Builds the `check` command. */
export function checkCommand(context: CommandContext): Command {
  return new Command('check')
    .description(
      "run PRAGMA integrity_check and foreign_key_check through the leader, and check that the store's files are closed to other users",
    )
    .argument('<db>', 'the database file')
    .addOption(jsonOption())
    .addOption(fileModeOption())
    .addOption(timeoutOption(60_000))
    .addHelpText(
      'after',
      `${examples(['baton check /srv/hermes/kanban.db', 'baton check kanban.db --json | jq .integrity.messages', 'baton check kanban.db --file-mode 640'])}\n\nExit code 1 when a check fails, including files that users other than the owner (and the\ngroup, with --file-mode 640 or 660) can read or write; the report says which chmod fixes it.\nWith no leader running, this command hosts the leader\nfor its own duration (and says so on stderr).\n\n${EXIT_CODES_HELP}`,
    )
    .action((db: string, options: CommonOptions & { fileMode: number }) =>
      runAction(context, options.json === true, async (out) => {
        const connection = await connect(
          db,
          { command: 'check', mayLead: true, timeoutMs: options.timeout, fileMode: options.fileMode },
          out,
        );
        const report = await withConnection(connection, options.timeout, async (store) => {
          const messages = await integrity(store);
          const fk = await foreignKeys(store);
          if (fk.error !== null) messages.push(fk.error);
          const integrityOk = messages.length === 1 && messages[0] === 'ok';
          const fkOk = fk.error === null && fk.violations.length === 0;
          const permissions = permissionsReport(connection.paths, options.fileMode);
          return {
            database: connection.paths.database,
            ok: integrityOk && fkOk && permissions.ok,
            integrity: { ok: integrityOk, messages },
            foreignKeys: { ok: fkOk, violations: fk.violations },
            permissions,
            staleSocketsRemoved: removeStaleSockets(),
            hostedLeader: connection.hostsLeader,
          } satisfies CheckReport;
        });
        if (out.json) out.document(report);
        else out.text(render(report, out));
        return report.ok ? ExitCode.Ok : ExitCode.Failed;
      }),
    );
}
