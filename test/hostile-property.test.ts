/**
 * Hostile input, generated: fast-check produces random bytes, truncated frames, huge length
 * prefixes, msgpack "bombs" (headers that promise more than the frame holds, deep nesting),
 * random msgpack values, and well-shaped hellos and requests with wrong field types. Each case
 * goes to the leader over a fresh raw socket. The properties: the leader only ever answers
 * with protocol frames (`welcome`, `res`, `refuse` with PROTOCOL_ERROR, `notify`), refuses and
 * closes what it cannot use, answers a readable request by its id, and never crashes; a member
 * writing all along never fails; and the leader's memory (VmRSS) does not balloon.
 *
 * Shrinking stays on, so a failure is reported with the smallest input that still fails.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { PROTOCOL_VERSION } from '@baton/store';
import { killAll, startMember, type Member } from './helpers/fleet';
import { decodeFrames, frame } from './helpers/raw-socket';
import { removeSockets, socketOf } from './helpers/sockets';
import { removeTempDirs, tempDir } from './helpers/temp';

jest.setTimeout(120_000);

const MAX_FRAME_BYTES = 16 * 1024 * 1024; // the leader's default limit
const packr = new Packr({ useRecords: false });

let leader: Member;
let writer: Member;
let socketPath: string;
let rssBeforeKb: number;

function rssKb(pid: number): number {
  const line = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(line?.[1]);
}

beforeAll(async () => {
  const file = path.join(tempDir(), 'hostile-property.db');
  socketPath = socketOf(file);
  leader = await startMember({ path: file, name: 'leader' });
  writer = await startMember({ path: file, name: 'writer', candidate: false });
  writer.send({ cmd: 'writeLoop', prefix: 'w' });
  await writer.waitFor((e) => e.ev === 'acked');
  rssBeforeKb = rssKb(leader.pid);
});

afterAll(async () => {
  await killAll();
  removeSockets();
  removeTempDirs();
});

/** What one raw connection got. */
interface Outcome {
  frames: { t?: unknown; id?: unknown; err?: { code?: unknown }; ok?: unknown }[];
  /** The leader closed the connection before we hung up. */
  closedByLeader: boolean;
}

/**
 * Connects, writes `bytes`, and collects frames until the leader closes the connection, or
 * until `responses` answers have arrived, or (only when `idleMs` is given: the hang-up is then
 * part of the input, for bytes the leader can only wait on) after `idleMs` of silence; then
 * hangs up and waits for the leader to close its side too (it must: a half-open connection
 * would be a leak). Nothing else ends the wait but a 30 s bound, which fails the case.
 */
function probe(bytes: Buffer, options: { responses?: number; idleMs?: number } = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const received: Buffer[] = [];
    let hungUp = false;
    let idle: NodeJS.Timeout | undefined;
    const give = setTimeout(() => {
      socket.destroy();
      const waitedFor = hungUp
        ? 'close the connection after we hung up'
        : options.responses === undefined
          ? 'close the connection'
          : `send ${options.responses} answers`;
      reject(new Error(`the leader did not ${waitedFor} within 30 s (sent ${bytes.length} bytes)`));
    }, 30_000);
    const hangUp = (): void => {
      if (hungUp) return;
      hungUp = true;
      clearTimeout(idle);
      socket.end();
    };
    const arm = (): void => {
      if (options.idleMs === undefined) return;
      clearTimeout(idle);
      idle = setTimeout(hangUp, options.idleMs);
    };
    socket.on('connect', () => {
      socket.write(bytes);
      arm();
    });
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      if (options.responses !== undefined) {
        const answers = decodeFrames(Buffer.concat(received)).filter((f) => (f as { t?: string }).t === 'res').length;
        if (answers >= options.responses) return hangUp();
      }
      arm();
    });
    socket.on('error', () => undefined); // EPIPE / ECONNRESET when the leader refused mid-write: 'close' follows
    socket.on('close', () => {
      clearTimeout(idle);
      clearTimeout(give);
      resolve({ frames: decodeFrames(Buffer.concat(received)) as Outcome['frames'], closedByLeader: !hungUp });
    });
  });
}

const LEADER_FRAMES = new Set(['welcome', 'res', 'refuse', 'notify', 'heir']);

/** Every frame is a leader frame, and every refusal is a PROTOCOL_ERROR. */
function onlyProtocolFrames(outcome: Outcome): void {
  for (const f of outcome.frames) {
    expect(LEADER_FRAMES.has(String(f.t))).toBe(true);
    if (f.t === 'refuse') expect(f.err?.code).toBe('PROTOCOL_ERROR');
  }
}

function refusedAndClosed(outcome: Outcome): void {
  onlyProtocolFrames(outcome);
  expect(outcome.closedByLeader).toBe(true);
  expect(outcome.frames.filter((f) => f.t === 'refuse').length).toBeLessThanOrEqual(1);
}

/** True when `bytes` ends inside a frame whose announced length is within the limit (the leader then waits for the rest). */
function endsInsideFrame(bytes: Uint8Array): boolean {
  let offset = 0;
  for (;;) {
    if (bytes.length - offset < 4) return bytes.length - offset > 0;
    const length = Buffer.from(bytes.buffer, bytes.byteOffset + offset, 4).readUInt32BE(0);
    if (length > MAX_FRAME_BYTES) return false;
    if (bytes.length - offset - 4 < length) return true;
    offset += 4 + length;
  }
}

const hello = {
  t: 'hello',
  v: PROTOCOL_VERSION,
  clientId: 'hostile-property',
  pid: 1,
  name: 'hostile-property',
  candidate: false,
  migrations: [],
};

function rawFrame(payload: Uint8Array): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length, 0);
  return Buffer.concat([header, payload]);
}

/** The leader's decoder settings (docs/protocol.md, "Encoding"). */
const leaderDecoder = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  moreTypes: false,
  int64AsType: 'auto' as unknown as 'bigint',
});

/** What the leader makes of `payload`: the decoded map, or undefined when it cannot decode it. */
function decodedAsLeader(payload: Buffer): { id?: unknown; op?: unknown } | undefined {
  try {
    const value = leaderDecoder.unpack(payload) as unknown;
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

function packable(value: unknown): Buffer | null {
  try {
    return packr.pack(value);
  } catch {
    return null;
  }
}

/** Anything msgpack can carry, rich types included. */
const anyValue = fc.anything({
  maxDepth: 3,
  withBigInt: true,
  withMap: true,
  withSet: true,
  withDate: true,
  withTypedArray: true,
  withNullPrototype: true,
  withSparseArray: true,
});

test('random bytes before any hello: refused with PROTOCOL_ERROR and closed, or (inside a frame) waited for', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 4096 }), async (bytes) => {
      // Inside a frame the leader can only wait: hang up at once. Otherwise it must refuse and close.
      const waiting = endsInsideFrame(bytes);
      const outcome = await probe(Buffer.from(bytes), waiting ? { idleMs: 20 } : {});
      onlyProtocolFrames(outcome);
      expect(outcome.frames.filter((f) => f.t === 'welcome')).toEqual([]);
      if (!waiting) expect(outcome.closedByLeader).toBe(true);
    }),
    { numRuns: 200 },
  );
});

test('length prefixes above the limit are refused at once, whatever follows', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: MAX_FRAME_BYTES + 1, max: 0xffffffff }),
      fc.uint8Array({ maxLength: 64 }),
      fc.boolean(),
      async (length, body, afterHello) => {
        const header = Buffer.alloc(4);
        header.writeUInt32BE(length, 0);
        const outcome = await probe(Buffer.concat([afterHello ? frame(hello) : Buffer.alloc(0), header, body]));
        refusedAndClosed(outcome);
        expect(outcome.frames.some((f) => f.t === 'refuse')).toBe(true);
      },
    ),
    { numRuns: 60 },
  );
});

test('truncated frames followed by a hang-up: the leader answers what was whole and closes', async () => {
  const whole = Buffer.concat([
    frame(hello),
    frame({ t: 'req', id: 1, op: { k: 'ping' } }),
    frame({ t: 'req', id: 2, op: { k: 'execute', stmt: { sql: 'SELECT 1' } } }),
  ]);
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: whole.length - 1 }), async (cut) => {
      const outcome = await probe(whole.subarray(0, cut), { idleMs: 30 });
      onlyProtocolFrames(outcome);
      expect(outcome.frames.some((f) => f.t === 'refuse')).toBe(false);
    }),
    { numRuns: 80 },
  );
});

test('msgpack bombs (counts and lengths far beyond the frame, deep nesting) are refused without allocating them', async () => {
  const lyingHeader = fc.constantFrom(0xdc, 0xdd, 0xde, 0xdf, 0xda, 0xdb, 0xc5, 0xc6, 0xc8, 0xc9).chain((tag) =>
    fc
      .tuple(fc.constant(tag), fc.integer({ min: 0x10000, max: 0xffffffff }), fc.uint8Array({ maxLength: 32 }))
      .map(([t, count, rest]) => {
        const wide = t === 0xdd || t === 0xdf || t === 0xdb || t === 0xc6 || t === 0xc9;
        const head = Buffer.alloc(wide ? 5 : 3);
        head[0] = t;
        if (wide) head.writeUInt32BE(count, 1);
        else head.writeUInt16BE(count & 0xffff, 1);
        return Buffer.concat([head, rest]);
      }),
  );
  const deepNesting = fc
    .integer({ min: 1000, max: 300_000 })
    .map((depth) => Buffer.concat([Buffer.alloc(depth, 0x91), Buffer.from([0xc0])]));
  await fc.assert(
    fc.asyncProperty(fc.oneof(lyingHeader, deepNesting), fc.boolean(), async (payload, afterHello) => {
      const outcome = await probe(Buffer.concat([afterHello ? frame(hello) : Buffer.alloc(0), rawFrame(payload)]));
      refusedAndClosed(outcome);
    }),
    { numRuns: 80 },
  );
});

test('random msgpack values as frames, before or after a hello: refused with PROTOCOL_ERROR and closed', async () => {
  await fc.assert(
    fc.asyncProperty(anyValue, fc.boolean(), async (value, afterHello) => {
      const payload = packable(value);
      fc.pre(payload !== null);
      const outcome = await probe(Buffer.concat([afterHello ? frame(hello) : Buffer.alloc(0), rawFrame(payload)]));
      refusedAndClosed(outcome);
      expect(outcome.frames.some((f) => f.t === 'refuse')).toBe(true);
    }),
    { numRuns: 150 },
  );
});

test('hellos with wrong field types: welcomed only when well-formed, otherwise refused and closed', async () => {
  const helloArb = fc.record({
    t: fc.constant('hello'),
    v: fc.oneof(fc.constant(1), anyValue),
    clientId: fc.oneof(fc.uuid(), anyValue),
    pid: fc.oneof(fc.nat(), anyValue),
    name: fc.oneof(fc.string({ maxLength: 20 }), anyValue),
    candidate: fc.oneof(fc.boolean(), anyValue),
    migrations: fc.oneof(
      fc.constant([]),
      anyValue,
      fc.array(fc.record({ version: anyValue, sql: anyValue }), { maxLength: 3 }),
    ),
  });
  await fc.assert(
    fc.asyncProperty(helloArb, async (h) => {
      const payload = packable(h);
      fc.pre(payload !== null);
      const outcome = await probe(Buffer.concat([rawFrame(payload), frame({ t: 'req', id: 1, op: { k: 'ping' } })]), {
        responses: 1,
      });
      for (const f of outcome.frames) {
        expect(LEADER_FRAMES.has(String(f.t))).toBe(true);
        if (f.t === 'refuse') expect(['PROTOCOL_ERROR', 'SCHEMA_CONFLICT']).toContain(f.err?.code);
      }
      const welcomed = outcome.frames[0]?.t === 'welcome';
      // After the welcome: the answer to the ping (a heir announcement may come in between).
      if (welcomed)
        expect(outcome.frames.slice(1).filter((f) => f.t !== 'heir')[0]).toEqual({ t: 'res', id: 1, ok: 'pong' });
      else expect(outcome.closedByLeader).toBe(true);
    }),
    { numRuns: 150 },
  );
});

test('requests with wrong field types after a valid hello: each readable one is answered by its id, an unknown operation with PROTOCOL_ERROR', async () => {
  // Operations that change the fleet rather than answer (step-down, reset, backup to a path)
  // are a member's right, not hostile input: they are left out.
  const kind = fc.oneof(
    fc.constantFrom('execute', 'batch', 'begin', 'commit', 'rollback', 'notify', 'status', 'ping'),
    fc.string({ maxLength: 8 }).filter((k) => !['stepdown', 'reset', 'backup'].includes(k)),
    anyValue,
  );
  const statement = fc.oneof(
    anyValue,
    fc.record(
      {
        sql: fc.oneof(fc.string({ maxLength: 30 }), anyValue),
        args: fc.oneof(anyValue, fc.array(anyValue, { maxLength: 4 })),
      },
      { requiredKeys: ['sql'] },
    ),
  );
  const op = fc.record(
    {
      k: kind,
      stmt: statement,
      stmts: fc.oneof(anyValue, fc.array(statement, { maxLength: 4 })),
      mode: fc.oneof(fc.constantFrom('write', 'read', 'deferred'), anyValue),
      txId: fc.oneof(fc.nat(5), anyValue),
      // Short enough that a write transaction this client opens (and its own writes queued
      // behind it) ends within the case; any wrong type is still tried.
      timeoutMs: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.constantFrom(-1, 0, 1.5, '100', null, true, [], {})),
      channel: fc.oneof(fc.string({ maxLength: 8 }), anyValue),
      payload: anyValue,
    },
    { requiredKeys: ['k'] },
  );
  const request = fc.record(
    {
      t: fc.constant('req'),
      id: fc.oneof(fc.nat(1000), anyValue),
      retry: fc.oneof(fc.boolean(), anyValue),
      low: fc.oneof(fc.nat(1000), anyValue),
      op: fc.oneof(op, anyValue),
    },
    { requiredKeys: ['t', 'id', 'op'] },
  );
  await fc.assert(
    fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 6 }), async (requests) => {
      const payloads = requests.map(packable);
      fc.pre(payloads.every((p) => p !== null));
      // The leader reads frames up to the first it cannot decode or whose id it cannot read:
      // that one closes the connection. (Decoded as the leader decodes, see docs/protocol.md.)
      const seen = payloads.map((p) => decodedAsLeader(p));
      const readable = seen.findIndex(
        (r) => r === undefined || typeof r.id !== 'number' || !Number.isSafeInteger(r.id) || r.id < 0,
      );
      const answered = (readable < 0 ? seen : seen.slice(0, readable)) as { id: number; op: unknown }[];
      const bytes = Buffer.concat([frame(hello), ...payloads.map((p) => rawFrame(p))]);
      // An unreadable frame closes the connection: wait for that. Otherwise every request is answered: wait for all of them.
      const outcome = await probe(bytes, readable >= 0 ? {} : { responses: answered.length });
      onlyProtocolFrames(outcome);
      const responses = outcome.frames.filter((f) => f.t === 'res');
      const sentIds = new Set(answered.map((r) => r.id));
      for (const response of responses) expect(sentIds.has(response.id as number)).toBe(true);
      if (readable >= 0) expect(outcome.closedByLeader).toBe(true);
      // An operation that is not an object, or of an unknown kind, is answered PROTOCOL_ERROR by its id.
      const known = new Set([
        'execute',
        'batch',
        'begin',
        'commit',
        'rollback',
        'notify',
        'status',
        'ping',
        'script',
        'migrate',
      ]);
      for (const r of answered) {
        const k =
          typeof r.op === 'object' && r.op !== null && !Array.isArray(r.op) ? (r.op as { k?: unknown }).k : undefined;
        if (typeof k === 'string' && known.has(k)) continue;
        if (answered.filter((other) => other.id === r.id).length > 1) continue; // ids reused within the case: cannot tell the answers apart
        const answer = responses.find((f) => f.id === r.id);
        expect(answer?.err?.code).toBe('PROTOCOL_ERROR');
      }
    }),
    { numRuns: 150 },
  );
});

test('a frame of 16 MiB of nils (the worst decode amplification within the limit) is refused, and the leader memory settles', async () => {
  const count = MAX_FRAME_BYTES - 5;
  const payload = Buffer.alloc(MAX_FRAME_BYTES, 0xc0);
  payload[0] = 0xdd;
  payload.writeUInt32BE(count, 1);
  for (let i = 0; i < 3; i++) refusedAndClosed(await probe(Buffer.concat([frame(hello), rawFrame(payload)])));
});

test('through all of it the leader stayed up, the writer never failed, and the leader RSS did not balloon', async () => {
  const acked = writer.acked.size;
  await writer.waitForNext((e) => e.ev === 'acked', 30_000);
  expect(writer.acked.size).toBeGreaterThan(acked);
  writer.send({ cmd: 'stopLoop' });
  await writer.waitFor((e) => e.ev === 'writeDone');
  expect(writer.failed).toEqual([]);
  expect(writer.events.some((e) => e.ev === 'failover')).toBe(false);
  expect(leader.events.some((e) => e.ev === 'error')).toBe(false);
  expect(leader.child.exitCode).toBeNull();
  const rssAfterKb = rssKb(leader.pid);
  // Generous: the heap may keep what it grew to; unbounded buffering would be far beyond this.
  expect(rssAfterKb - rssBeforeKb).toBeLessThan(256 * 1024);
});
