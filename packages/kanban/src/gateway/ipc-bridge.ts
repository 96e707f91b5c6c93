/**
 * Bridges a gateway to its parent over IPC: reports every lifecycle event and runs the
 * parent's commands (task creation load, close). Only used when the process was forked with an
 * IPC channel.
 */
import type { Gateway } from './gateway';
import type { GatewayCommand, GatewayReport } from './ipc-protocol';

/** The code of an error, whichever class it is. */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

/**
 * Reports `gateway`'s events through `send` and handles commands from `onCommand`.
 * @param exit - called after a `close` command has closed the gateway
 */
export function bridgeToParent(
  gateway: Gateway,
  send: (report: GatewayReport) => void,
  onCommand: (handler: (command: GatewayCommand) => void) => void,
  exit: () => void,
): void {
  gateway.on('role', ({ role, epoch }) => send({ ev: 'role', role, epoch }));
  gateway.on('failover', (event) => send({ ev: 'failover', ...event }));
  gateway.on('claimed', ({ task, runId, latencyMs, trigger, direct }) =>
    send({ ev: 'claimed', taskId: task.id, runId, latencyMs, trigger, direct }),
  );
  gateway.on('completed', (event) => send({ ev: 'completed', ...event }));
  gateway.on('failed', ({ taskId, runId, blocked }) => send({ ev: 'failed', taskId, runId, blocked }));
  gateway.on('lost', (event) => send({ ev: 'lost', ...event }));
  gateway.on('released', (event) => send({ ev: 'released', ...event }));
  gateway.on('error', (error) => send({ ev: 'error', code: codeOf(error), message: error.message }));

  let creating = 0;
  onCommand((command) => {
    switch (command.cmd) {
      case 'create': {
        const run = ++creating;
        void createLoad(gateway, command, () => creating === run, send);
        break;
      }
      case 'stopCreating':
        creating++;
        break;
      case 'close':
        creating++;
        void gateway.close().then(() => {
          send({ ev: 'closed' });
          exit();
        });
        break;
    }
  });
}

/** Creates tasks one after the other, paced to one every `intervalMs`, reporting each acknowledgement. */
async function createLoad(
  gateway: Gateway,
  command: Extract<GatewayCommand, { cmd: 'create' }>,
  active: () => boolean,
  send: (report: GatewayReport) => void,
): Promise<void> {
  const board = gateway.board;
  let created = 0;
  const started = Date.now();
  for (let i = 0; i < command.count && active() && board !== null; i++) {
    const key = `${gateway.config.profile}/${command.prefix}/${i}`;
    const before = Date.now();
    try {
      const { task } = await board.create({
        title: `${command.prefix} #${i}`,
        idempotencyKey: key,
        body: `created by ${gateway.config.profile}`,
      });
      created++;
      send({ ev: 'created', taskId: task.id, key, ms: Date.now() - before });
    } catch (error) {
      send({ ev: 'createFailed', key, code: codeOf(error), message: (error as Error).message });
    }
    const wait = started + (i + 1) * command.intervalMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  send({ ev: 'createDone', prefix: command.prefix, created });
}
