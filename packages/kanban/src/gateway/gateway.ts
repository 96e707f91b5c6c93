/**
 * The gateway: one long-running process per profile. It reads the profile's `config.yaml`;
 * if kanban is enabled it joins the board's store (hosting the leader if it wins the election
 * and is a candidate), and if it dispatches it claims and runs work. A gateway with
 * `enabled: false` never opens the store: no socket, no file handle, whatever the board.
 */
import { EventEmitter } from 'node:events';
import { openStore, type FailoverEvent, type Store, type StoreRole } from '@baton/store';
import { Board } from '../board';
import { KanbanError } from '../errors';
import { KANBAN_MIGRATIONS } from '../schema';
import type { GatewayConfig } from './config';
import { Dispatcher, type DispatcherEvents } from './dispatcher';
import { simulatedWork, type Work } from './simulated-work';

/**
 * Events of a `Gateway`: the store's lifecycle (`role`, `failover`) and, for a dispatching
 * gateway, its dispatcher's (`claimed`, `completed`, `failed`, `lost`, `released`).
 * `error` carries background failures; the gateway carries on.
 */
export interface GatewayEvents extends DispatcherEvents {
  role: [event: { role: StoreRole; epoch: number }];
  failover: [event: FailoverEvent];
}

/** Overrides of what the config says, for the bin and tests. */
export interface GatewayOptions {
  /** The board file; overrides `kanban.board`. */
  board?: string;
  /** The work run for each claimed task; default: simulated work from the config. */
  work?: Work;
  /** The store's request timeout. */
  requestTimeoutMs?: number;
}

/** A running gateway. Create with `Gateway.start`. */
export class Gateway extends EventEmitter<GatewayEvents> {
  private closing: Promise<void> | null = null;

  private constructor(
    readonly config: GatewayConfig,
    /** The member's store; `null` when kanban is disabled. */
    readonly store: Store | null,
    /** The board; `null` when kanban is disabled. */
    readonly board: Board | null,
    /** The dispatcher; `null` unless `dispatch_in_gateway`. */
    readonly dispatcher: Dispatcher | null,
  ) {
    super();
  }

  /**
   * Starts a gateway from its config. Resolves once it has joined the store (or at once when
   * kanban is disabled). Throws `CONFIG_INVALID` when enabled without a board path.
   */
  static async start(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
    if (!config.enabled) return new Gateway(config, null, null, null);
    const boardPath = options.board ?? config.board;
    if (boardPath === null)
      throw new KanbanError(
        'CONFIG_INVALID',
        `${config.home}/config.yaml: kanban is enabled but "kanban.board" is not set (or pass --board)`,
      );
    const store = await openStore({
      path: boardPath,
      name: config.profile,
      candidate: config.candidate,
      migrations: KANBAN_MIGRATIONS,
      ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
    });
    const board = new Board(store, config.profile);
    const dispatcher = config.dispatchInGateway
      ? new Dispatcher(board, store, {
          maxWorkers: config.maxWorkers,
          claimTtlMs: config.claimTtlMs,
          heartbeatMs: config.heartbeatMs,
          sweepMs: config.sweepMs,
          work: options.work ?? simulatedWork(config.worker),
        })
      : null;
    const gateway = new Gateway(config, store, board, dispatcher);
    store.on('role', (role) => gateway.emit('role', { role, epoch: store.epoch }));
    store.on('failover', (event) => gateway.emit('failover', event));
    store.on('error', (error) => gateway.reportError(error));
    if (dispatcher !== null) {
      dispatcher.on('claimed', (event) => gateway.emit('claimed', event));
      dispatcher.on('completed', (event) => gateway.emit('completed', event));
      dispatcher.on('failed', (event) => gateway.emit('failed', event));
      dispatcher.on('lost', (event) => gateway.emit('lost', event));
      dispatcher.on('released', (event) => gateway.emit('released', event));
      dispatcher.on('error', (error) => gateway.reportError(error));
      dispatcher.start();
    }
    return gateway;
  }

  /**
   * Emits a background failure as `error`. A Node emitter throws an `error` nobody listens to,
   * which would crash the gateway over a failure it survives (a timed-out sweep, say): without
   * a listener it goes to stderr instead.
   */
  private reportError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else process.stderr.write(`[${this.config.profile}] ${error.message}\n`);
  }

  /**
   * Stops the gateway: the dispatcher stops claiming and lets its work in progress finish and
   * be recorded, then the store closes (a leader hands over to another candidate). Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.dispatcher?.stop(true);
      await this.store?.close();
    })();
    return this.closing;
  }
}
