/**
 * One member of the chaos fleet (forked by the runner, fleet.ts). It opens the store and keeps `loops`
 * writer loops running (single inserts and small batches), runs the bursts the runner asks for
 * (large batches, interactive transactions, pipelined inserts), and logs every operation to its
 * write log before sending it and after its answer (see protocol.ts). In `reader` mode it opens
 * the store with `reads: 'local'` (never a candidate) and reads in a loop which file it sees and
 * the newest row there, logging each read with the monotonic time it started, so the verdict
 * can check it against the writes acknowledged before. In `init` mode it only opens the store
 * with the same migrations, checks the schema version and closes.
 *
 * It exits when the runner disconnects, so a runner that dies leaves no member behind.
 */
import * as fs from 'node:fs';
import { openStore, type Store, type StoreError, type StoreOptions } from '@baton/store';
import {
  CHAOS_MIGRATIONS,
  INSERT_SQL,
  processName,
  READ_SQL,
  type ChaosCommand,
  type ChaosEvent,
  type ChaosMemberConfig,
  type OpKind,
} from './protocol';
import { Random } from './random';

const config = JSON.parse(process.argv[2] ?? '{}') as ChaosMemberConfig;
const random = new Random(config.seed);
const name = processName(config.mode, config.slot, config.incarnation);
const report = (event: ChaosEvent): void => {
  if (process.connected) process.send?.(event);
};
process.on('disconnect', () => process.exit(0));

/** A failure message that suggests a corrupt file or a failing disk: reported to the runner, which fails the run on it. */
const SUGGESTS_CORRUPTION = /malformed|disk I\/O/i;

/** The write log: one synchronous append per line, so every line survives a SIGKILL. */
class WriteLog {
  private readonly fd: number;
  private seq = 0;

  constructor(file: string) {
    this.fd = fs.openSync(file, 'a');
  }

  /** Logs the intent to send a new operation of `rows` rows and returns its op id. */
  send(kind: OpKind, rows: number): string {
    const op = `${config.slot}.${config.incarnation}.${++this.seq}`;
    fs.writeSync(this.fd, `S ${op} ${kind} ${rows}\n`);
    return op;
  }

  /** Logs the acknowledgement with the monotonic time, taken now: after the answer arrived. */
  ack(op: string): void {
    fs.writeSync(this.fd, `A ${op} ${process.hrtime.bigint()}\n`);
  }

  fail(op: string, error: unknown, stage: 'body' | 'commit' | '-'): void {
    const code = (error as StoreError).code ?? 'UNKNOWN';
    const sqlite = (error as StoreError).extendedCode;
    fs.writeSync(this.fd, `F ${op} ${sqlite ? `${code}/${sqlite}` : code} ${stage}\n`);
    if (SUGGESTS_CORRUPTION.test(String((error as Error).message))) {
      report({ ev: 'error', code, message: `${op}: ${(error as Error).message}` });
    }
  }
}

function payload(bytes: number): Buffer {
  return Buffer.alloc(bytes, random.int(0, 255));
}

function row(op: string, i: number, bytes: number): { sql: string; args: [string, string, string, Buffer] } {
  return { sql: INSERT_SQL, args: [`${op}.${i}`, op, name, payload(bytes)] };
}

/** Runs one logged operation: `work` gets the op id; its resolution is the acknowledgement. */
async function logged(log: WriteLog, kind: OpKind, rows: number, work: (op: string) => Promise<void>): Promise<void> {
  const op = log.send(kind, rows);
  try {
    await work(op);
    log.ack(op);
  } catch (error) {
    log.fail(op, error, (error as { stage?: 'body' | 'commit' }).stage ?? '-');
  }
}

async function insertOne(store: Store, log: WriteLog): Promise<void> {
  await logged(log, 'one', 1, async (op) => {
    const { sql, args } = row(op, 0, random.int(16, 256));
    await store.execute(sql, args);
  });
}

/**
 * A standalone read, served by this member's own connection. Its result is not checked; a
 * failure that suggests corruption is reported as the writes' are (a forwarded read may fail
 * with a leader gone, which the writes' log already tells).
 */
async function readLocally(store: Store): Promise<void> {
  try {
    await store.execute('SELECT count(*) AS n FROM chaos_rows WHERE op = ?', [random.int(1, 1000)]);
  } catch (error) {
    const { message } = error as Error;
    if (SUGGESTS_CORRUPTION.test(message))
      report({ ev: 'error', code: (error as StoreError).code ?? 'UNKNOWN', message: `local read: ${message}` });
  }
}

async function smallBatch(store: Store, log: WriteLog): Promise<void> {
  const rows = random.int(2, 6);
  await logged(log, 'batch', rows, async (op) => {
    await store.batch(
      Array.from({ length: rows }, (_, i) => row(op, i, random.int(16, 256))),
      'write',
    );
  });
}

async function largeBatch(store: Store, log: WriteLog): Promise<void> {
  const rows = random.int(50, 400);
  const bytes = random.int(512, 4096);
  await logged(log, 'batch', rows, async (op) => {
    await store.batch(
      Array.from({ length: rows }, (_, i) => row(op, i, bytes)),
      'write',
    );
  });
}

/** A member holds at most one interactive transaction at a time (the leader refuses a second). */
let transactionTurn: Promise<void> = Promise.resolve();

/** An interactive transaction of a few inserts and reads; one in ten is rolled back on purpose. */
function interactive(store: Store, log: WriteLog): Promise<void> {
  const turn = transactionTurn.then(() => oneTransaction(store, log));
  transactionTurn = turn.catch(() => undefined);
  return turn;
}

async function oneTransaction(store: Store, log: WriteLog): Promise<void> {
  const rows = random.int(2, 20);
  const rollBack = random.chance(0.1);
  await logged(log, 'tx', rows, async (op) => {
    const staged = (stage: 'body' | 'commit') => (error: unknown) => {
      throw Object.assign(error as Error, { stage });
    };
    const tx = await store.transaction('write').catch(staged('body'));
    try {
      for (let i = 0; i < rows; i++) {
        const { sql, args } = row(op, i, random.int(16, 512));
        await tx.execute(sql, args);
        if (random.chance(0.2)) await tx.execute('SELECT count(*) AS n FROM chaos_rows WHERE op = ?', [op]);
      }
    } catch (error) {
      tx.close();
      staged('body')(error);
    }
    if (rollBack) {
      await tx.rollback().catch(() => undefined);
      staged('body')(Object.assign(new Error('rolled back on purpose'), { code: 'ROLLED_BACK' }));
    }
    await tx.commit().catch(staged('commit'));
  });
}

async function pipeline(store: Store, log: WriteLog): Promise<void> {
  const count = random.int(100, 400);
  await Promise.all(Array.from({ length: count }, () => insertOne(store, log)));
}

/** The store options every chaos member and init call opens with. */
function storeOptions(): StoreOptions {
  return {
    path: config.path,
    name,
    migrations: CHAOS_MIGRATIONS,
    candidate: config.candidate,
    reads: config.reads,
    requestTimeoutMs: config.requestTimeoutMs,
    lock: config.lock,
  };
}

/** Opens the store and reports its events to the runner; exits when it cannot. */
async function openReporting(): Promise<Store> {
  let store: Store;
  try {
    store = await openStore(storeOptions());
  } catch (error) {
    report({ ev: 'fatal', code: (error as StoreError).code ?? 'UNKNOWN', message: (error as Error).message });
    process.exit(1);
  }
  store.on('role', (role) => report({ ev: 'role', role, epoch: store.epoch }));
  store.on('failover', (event) => report({ ev: 'failover', ...event }));
  store.on('error', (error) => report({ ev: 'error', code: error.code, message: error.message }));
  report({ ev: 'opened', pid: process.pid, role: store.role, epoch: store.epoch });
  return store;
}

/** Closes the store when the runner asks, once `idle` resolves, and exits. */
function closeWhenAsked(store: Store, stop: () => void, idle: () => Promise<void>): void {
  process.on('message', (command: ChaosCommand) => {
    if (command.cmd !== 'close') return;
    stop();
    void (async () => {
      await idle();
      await store.close();
      report({ ev: 'closed' });
      process.disconnect?.();
      process.exit(0);
    })();
  });
}

async function runMember(): Promise<void> {
  const log = new WriteLog(config.logFile);
  const store = await openReporting();

  let running = true;
  const work = new Set<Promise<void>>();
  const track = (promise: Promise<void>): void => {
    work.add(promise);
    void promise.finally(() => work.delete(promise));
  };
  for (let loop = 0; loop < config.loops; loop++) {
    track(
      (async () => {
        while (running) {
          if (random.chance(0.85)) await insertOne(store, log);
          else await smallBatch(store, log);
          if (config.reads === 'local' && random.chance(0.2)) await readLocally(store);
          // A store that gave up fails every request at once, without a turn of the event
          // loop: this lets the runner's close in even then.
          await new Promise((resolve) => setImmediate(resolve));
        }
      })(),
    );
  }

  process.on('message', (command: ChaosCommand) => {
    if (command.cmd === 'burst') {
      if (!running) return;
      if (command.kind === 'batch') {
        track(
          (async () => {
            for (let i = random.int(1, 3); i > 0; i--) await largeBatch(store, log);
          })(),
        );
      } else if (command.kind === 'tx') {
        track(
          (async () => {
            for (let i = random.int(1, 3); i > 0; i--) await interactive(store, log);
          })(),
        );
      } else {
        track(pipeline(store, log));
      }
    }
  });
  closeWhenAsked(
    store,
    () => (running = false),
    async () => {
      while (work.size > 0) await Promise.all([...work]);
    },
  );
}

/** The reader's pause between two reads (about 1,000 reads a second per reader). */
const READ_PAUSE_MS = 1;

/**
 * Reads in one loop until told to close. Each read's start time is taken before the call, and
 * whether this member served it itself is the change in `store.localReads` across it (the only
 * read in flight).
 */
async function runReader(): Promise<void> {
  const fd = fs.openSync(config.logFile, 'a');
  const store = await openReporting();
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = process.hrtime.bigint();
      const before = store.localReads;
      try {
        const row = (await store.execute(READ_SQL)).rows[0];
        const local = store.localReads > before ? 'L' : 'F';
        fs.writeSync(fd, `R ${t0} ${Number(row?.['g'])} ${Number(row?.['m'] ?? 0)} ${local}\n`);
      } catch (error) {
        fs.writeSync(fd, `X ${t0} ${(error as StoreError).code ?? 'UNKNOWN'}\n`);
      }
      // A local read answers without a turn of the event loop: without this pause the loop
      // would never let the runner's close in, and would take a whole core from the writers.
      await new Promise((resolve) => setTimeout(resolve, READ_PAUSE_MS));
    }
  })();
  closeWhenAsked(
    store,
    () => (running = false),
    () => loop,
  );
}

async function runInit(): Promise<void> {
  try {
    const store = await openStore(storeOptions());
    const status = await store.status();
    await store.close();
    report({ ev: 'init', ok: true, schemaVersion: status.leader.schemaVersion });
  } catch (error) {
    report({ ev: 'init', ok: false, code: (error as StoreError).code ?? 'UNKNOWN', message: (error as Error).message });
  }
  process.disconnect?.();
  process.exit(0);
}

void (config.mode === 'init' ? runInit() : config.mode === 'reader' ? runReader() : runMember());
