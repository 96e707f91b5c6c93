/**
 * `npm run demo`: the gateway fleet that motivated Baton, end to end.
 *
 * Seven gateways (the profiles of the original report) share one kanban board through Baton.
 * Five of them create tasks, two dispatch them to simulated workers. While they run, the demo
 * runs `kanban init` twice under the live fleet, SIGKILLs the leader (twice by default) and
 * restarts it, and samples /proc to count the processes holding the database open. After the
 * fleet has exited, an independent reader checks the file. Exit code 0 only if every check holds.
 */
import { killAllGateways } from '@baton/kanban';
import { ExitCode, runScript } from '../shared';
import { DEMO_HELP, parseDemoOptions } from './options';
import { DemoRun } from './run';

async function main(argv: string[]): Promise<number> {
  const options = parseDemoOptions(argv);
  if (options === null) {
    process.stdout.write(`${DEMO_HELP}\n`);
    return ExitCode.Ok;
  }
  return new DemoRun(options).run();
}

const stop = (): void => {
  void killAllGateways().then(() => process.exit(130));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// process.exit, not exitCode: the demo's last gateway handles must not keep it waiting.
void runScript('demo', DEMO_HELP, () => main(process.argv.slice(2)), killAllGateways).then((code) =>
  process.exit(code),
);
