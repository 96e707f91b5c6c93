#!/usr/bin/env node
/**
 * `kanban-gateway --home <profile home> [--board <path>]`: runs one gateway until SIGTERM or
 * SIGINT (graceful: work in progress is recorded, a leader hands over). When forked with an
 * IPC channel it reports its events to the parent and takes commands (see ipc-protocol.ts).
 *
 * Exit codes: 0 closed cleanly, 1 failed to start or crashed, 2 bad command line or config.
 */
import { parseArgs } from 'node:util';
import { loadGatewayConfig } from '../gateway/config';
import { Gateway } from '../gateway/gateway';
import { bridgeToParent } from '../gateway/ipc-bridge';
import type { GatewayCommand, GatewayReport } from '../gateway/ipc-protocol';
import { KanbanError } from '../errors';

const USAGE = `Usage: kanban-gateway --home <profile home> [--board <path>]

Runs the gateway of one profile, configured by <profile home>/config.yaml (keys under "kanban:").

Options:
  --home <dir>     the profile home (its basename is the profile name)
  --board <path>   the board's database file (overrides kanban.board)
  -h, --help       this help

Exit codes: 0 closed cleanly, 1 failed to start, 2 bad command line or config.`;

/** The command line, by node's own parser: `--home` and `--board` take a value, nothing else is accepted. */
function parseCommandLine(argv: string[]): { home: string; board: string | undefined } {
  let values: { home?: string; board?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { home: { type: 'string' }, board: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (values.home === undefined) usage('--home is required');
  return { home: values.home, board: values.board };
}

function usage(message: string): never {
  process.stderr.write(`kanban-gateway: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { home, board } = parseCommandLine(process.argv.slice(2));
  const config = loadGatewayConfig(home);
  const gateway = await Gateway.start(config, board === undefined ? {} : { board });
  const send = (report: GatewayReport): void => {
    if (process.connected) process.send?.(report);
  };
  const log = (line: string): void => {
    process.stderr.write(`[${config.profile} ${process.pid}] ${line}\n`);
  };
  gateway.on('role', ({ role, epoch }) => log(`role ${role} (epoch ${epoch})`));
  gateway.on('error', (error) => log(`error: ${error.message}`));
  let exiting = false;
  const shutdown = (): void => {
    if (exiting) return;
    exiting = true;
    void gateway.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  if (process.send !== undefined) {
    bridgeToParent(
      gateway,
      send,
      (handler) => process.on('message', (m: GatewayCommand) => handler(m)),
      () => process.exit(0),
    );
    process.on('disconnect', shutdown);
  }
  send({
    ev: 'ready',
    pid: process.pid,
    profile: config.profile,
    enabled: config.enabled,
    dispatch: config.dispatchInGateway,
    role: gateway.store?.role ?? null,
    epoch: gateway.store?.epoch ?? 0,
  });
  log(
    config.enabled
      ? `started (${gateway.store?.role}, dispatch ${config.dispatchInGateway ? 'on' : 'off'})`
      : 'started with kanban disabled: the board is not opened',
  );
  // A disabled gateway has nothing keeping the event loop alive; a gateway runs until told to stop.
  setInterval(() => undefined, 1 << 30);
}

main().catch((error: unknown) => {
  process.stderr.write(`kanban-gateway: ${(error as Error).message}\n`);
  process.exit(error instanceof KanbanError && error.code === 'CONFIG_INVALID' ? 2 : 1);
});
