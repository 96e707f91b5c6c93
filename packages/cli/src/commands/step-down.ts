/**
 * `baton step-down <db>`: asks the leader to hand over (it finishes its queued work first),
 * then reports who took over and how long members were without a leader. Needs a running
 * leader; never becomes one.
 */
import { Command } from 'commander';
import type { FailoverEvent, Store } from '@baton/store';
import { examples, jsonOption, timeoutOption, type CommonOptions } from '../args';
import { CliError } from '../cli-error';
import { connect, withConnection } from '../connect';
import { EXIT_CODES_HELP, ExitCode } from '../exit-codes';
import { formatDuration } from '../format/units';
import type { Output } from '../output';
import { runAction, type CommandContext } from './context';

/** A leader, as named in the step-down report. */
export interface LeaderRef {
  pid: number;
  name: string;
  epoch: number;
}

/** What `baton step-down --json` prints. */
export interface StepDownReport {
  database: string;
  from: LeaderRef;
  to: LeaderRef;
  /** From losing the old leader to being welcomed by the new one, as this CLI saw it (ms). */
  ms: number;
  /** The new leader's own measure: from the start of its election to its first commit (ms). */
  takeoverMs: number | null;
  /** True when no other candidate took over and the same process leads again. */
  sameProcess: boolean;
}

/** Resolves with the store's next failover, or fails after `timeoutMs`. */
function nextFailover(store: Store, timeoutMs: number): Promise<FailoverEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      store.off('failover', onFailover);
      reject(
        new CliError(
          'STEP_DOWN_UNCONFIRMED',
          `the leader stepped down, but no leader welcomed this CLI within ${timeoutMs} ms; run \`baton status\` to see who leads`,
        ),
      );
    }, timeoutMs);
    const onFailover = (event: FailoverEvent): void => {
      clearTimeout(timer);
      resolve(event);
    };
    store.once('failover', onFailover);
  });
}

function render(report: StepDownReport, out: Output): string {
  const { from, to } = report;
  const took = `${formatDuration(report.ms)}${report.takeoverMs === null ? '' : ` (takeover ${formatDuration(report.takeoverMs)})`}`;
  if (report.sameProcess) {
    return `pid ${from.pid} "${from.name}" stepped down, but no other candidate took over: it leads again as epoch ${to.epoch}, after ${took}`;
  }
  return `pid ${from.pid} "${from.name}" (epoch ${from.epoch}) handed over to ${out.colors.bold(`pid ${to.pid} "${to.name}"`)} (epoch ${to.epoch}) in ${took}`;
}

/** Builds the `step-down` command. */
export function stepDownCommand(context: CommandContext): Command {
  return new Command('step-down')
    .description('make the leader hand over to another candidate; print who took over and how long it took')
    .argument('<db>', 'the database file')
    .addOption(jsonOption())
    .addOption(timeoutOption(30_000, 'how long to wait for the leader to answer and for a new one to take over'))
    .addHelpText(
      'after',
      `${examples(['baton step-down /srv/hermes/kanban.db', 'baton step-down kanban.db --json | jq .ms'])}\n\nNeeds a running leader (exit code 1 otherwise). Requests in flight are finished or re-sent\nto the new leader, so no member sees an error.\n\n${EXIT_CODES_HELP}`,
    )
    .action((db: string, options: CommonOptions) =>
      runAction(context, options.json === true, async (out) => {
        const connection = await connect(db, { command: 'step-down', mayLead: false, timeoutMs: options.timeout }, out);
        const report = await withConnection(connection, options.timeout, async (store): Promise<StepDownReport> => {
          const before = (await store.status()).leader;
          const failover = nextFailover(store, options.timeout);
          // The reply comes before the leader closes our connection, so the failover cannot be missed.
          await store.stepDown();
          const event = await failover;
          const after = await store.status();
          return {
            database: connection.paths.database,
            from: { pid: before.pid, name: before.name, epoch: before.epoch },
            to: { pid: after.leader.pid, name: after.leader.name, epoch: after.leader.epoch },
            ms: event.ms,
            takeoverMs: after.failovers.find((f) => f.epoch === after.leader.epoch)?.takeoverMs ?? null,
            sameProcess: after.leader.pid === before.pid,
          };
        });
        if (out.json) out.document(report);
        else out.text(render(report, out));
        return ExitCode.Ok;
      }),
    );
}
