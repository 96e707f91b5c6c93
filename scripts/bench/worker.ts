/**
 * Entry of every process the benchmark forks. Its configuration comes as JSON in argv[2]
 * (messages.ts); it reports `ready`, then obeys the coordinator's commands over IPC.
 *
 * The Baton store and better-sqlite3 are loaded only by the configurations that use them, so
 * the `idle` process is the same program with neither loaded (the memory scenario's floor).
 */
import { nowMs } from './clock';
import { observeIdle, runLoad } from './load-loop';
import type { FromWorker, RunSpec, ToWorker, WorkerConfig } from './messages';
import { SampleBuffer } from './sample-buffer';
import { errorCode, type Target } from './targets/target';
import { randomRowId } from './workload';

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;

function send(message: FromWorker): void {
  process.send?.(message);
}

// The coordinator is gone (crashed, killed): never outlive it.
process.on('disconnect', () => process.exit(0));

async function openTarget(loadConfig: Extract<WorkerConfig, { kind: 'load' }>): Promise<Target> {
  switch (loadConfig.system) {
    case 'baton':
    case 'baton-local':
      return (await import('./targets/baton-target')).openBatonTarget(
        loadConfig.path,
        loadConfig.sync,
        loadConfig.index,
        loadConfig.candidate ?? true,
        loadConfig.system === 'baton-local' ? 'local' : 'leader',
      );
    case 'direct':
      return (await import('./targets/direct-target')).openDirectTarget(
        loadConfig.path,
        loadConfig.sync,
        loadConfig.index,
      );
    case 'socket':
      return (await import('./targets/socket-target')).openSocketTarget(loadConfig.path);
    case 'minimal':
      return (await import('./targets/minimal-target')).openMinimalTarget(loadConfig.path, loadConfig.index, null);
    case 'minimal-local':
      if (loadConfig.database === undefined) throw new Error('a minimal-local member needs the database path');
      return (await import('./targets/minimal-target')).openMinimalTarget(
        loadConfig.path,
        loadConfig.index,
        loadConfig.database,
      );
  }
}

/** The failover load: one write in flight until stopped; reports the first write a newer leader acknowledges once armed. */
class FailoverLoop {
  private running = false;
  private armedEpoch: number | null = null;
  private lastFailoverMs: number | null = null;
  private ackedWrites = 0;
  /** When each write since the last `acks` was acknowledged. */
  private readonly acks = new SampleBuffer();
  private readonly errors: Record<string, number> = {};
  private finished: Promise<void> = Promise.resolve();

  constructor(private readonly target: Target) {
    target.onFailover?.((ms) => (this.lastFailoverMs = ms));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.finished = this.loop();
  }

  arm(epoch: number): void {
    this.armedEpoch = epoch;
    this.lastFailoverMs = null;
    send({ t: 'armed', epoch });
  }

  /** Sends the acknowledgement times since the last call, and forgets them. */
  sendAcks(): void {
    send({ t: 'acks', atMs: this.acks.take() });
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.finished;
    send({ t: 'stopped', ackedWrites: this.ackedWrites, errors: this.errors });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        await this.target.write();
        const at = nowMs();
        this.ackedWrites++;
        this.acks.push(at);
        // store.epoch is updated on the welcome, before re-sent requests are answered, so a
        // write answered while it is above the armed epoch was committed by the new leader.
        if (this.armedEpoch !== null && this.target.epoch > this.armedEpoch) {
          send({ t: 'recovered', epoch: this.target.epoch, atMs: at, failoverMs: this.lastFailoverMs });
          this.armedEpoch = null;
        }
      } catch (error) {
        const code = errorCode(error);
        this.errors[code] = (this.errors[code] ?? 0) + 1;
      }
    }
  }
}

async function workload(target: Target, writes: number, reads: number, seedRows: number): Promise<number> {
  for (let i = 0; i < writes; i++) await target.write();
  for (let i = 0; i < reads; i++) await target.read(randomRowId(seedRows));
  return writes;
}

function memory(): FromWorker {
  const usage = process.memoryUsage();
  return { t: 'memory', rss: usage.rss, heapUsed: usage.heapUsed };
}

async function serveLoad(loadConfig: Extract<WorkerConfig, { kind: 'load' }>): Promise<void> {
  const target = await openTarget(loadConfig);
  target.onRole?.((role, epoch) => send({ t: 'role', role, epoch, atMs: nowMs() }));
  const failover = new FailoverLoop(target);
  const run = async (spec: RunSpec): Promise<void> => {
    const report = spec.inflight === 0 ? await observeIdle(spec) : await runLoad(target, spec, loadConfig.seedRows);
    send({ t: 'report', report });
  };
  process.on('message', (message: ToWorker) => {
    const failed = (error: unknown): void =>
      send({ t: 'failed', message: `${errorCode(error)}: ${(error as Error).message}` });
    switch (message.t) {
      case 'run':
        return void run(message.spec).catch(failed);
      case 'loop':
        return failover.start();
      case 'arm':
        return failover.arm(message.epoch);
      case 'stop':
        return void failover.stop().catch(failed);
      case 'acks':
        return failover.sendAcks();
      case 'workload':
        return void workload(target, message.writes, message.reads, loadConfig.seedRows).then(
          (acked) => send({ t: 'done', ackedWrites: acked }),
          failed,
        );
      case 'memory':
        return send(memory());
      case 'status':
        return void (target.counters?.() ?? Promise.resolve(null)).then(
          (counters) => send({ t: 'status', counters }),
          failed,
        );
      case 'exit':
        return void target.close().finally(() => process.exit(0));
    }
  });
  send({ t: 'ready', pid: process.pid, role: target.role, epoch: target.epoch });
}

/** A process that only serves (echo server) or idles: it answers runs with its CPU time and memory queries. */
function servePassive(): void {
  process.on('message', (message: ToWorker) => {
    if (message.t === 'run') void observeIdle(message.spec).then((report) => send({ t: 'report', report }));
    else if (message.t === 'memory') send(memory());
    else if (message.t === 'exit') process.exit(0);
  });
  send({ t: 'ready', pid: process.pid, role: config.kind, epoch: 0 });
}

async function main(): Promise<void> {
  switch (config.kind) {
    case 'load':
      return serveLoad(config);
    case 'echo-server':
      await (await import('./echo-server')).startEchoServer(config.socketPath, config.replyBytes);
      return servePassive();
    case 'minimal-leader':
      await (await import('./minimal/leader')).startMinimalLeader(config.path, config.socketPath, config.sync);
      return servePassive();
    case 'first-write': {
      const timed = await (await import('./first-write')).timeFirstWrite(config.path, config.sync, config.index);
      // The coordinator ends this process once it has the figures (leaving by itself could
      // drop the message with the channel).
      return send({ t: 'first-write', ...timed });
    }
    case 'idle':
      return servePassive();
  }
}

main().catch((error: unknown) => {
  send({ t: 'failed', message: `${errorCode(error)}: ${(error as Error).message}` });
  process.exitCode = 1;
  process.disconnect?.();
});
