/**
 * The boundaries of the applied-requests record, the memory behind "exactly once": a request
 * re-sent is answered from its record as long as the record is kept, and the two ways records
 * go are exact at their edge. The watermark: a member promises never to re-send below `low`,
 * so records below it go and the one at it stays. The retention: records older than
 * `APPLIED_RETENTION_MS` go (a member never waits that long for one request: its
 * `requestTimeoutMs` is capped at it), and one exactly that old stays. The table written to has
 * no key, so a write applied twice shows as two rows.
 */
import type { WriteJob } from '../src/leader/engine';
import { APPLIED_RETENTION_MS } from '../src/protocol/messages';
import { EngineFixture, insertJob } from './engine-fixture';

let fixture: EngineFixture;
/** How often the leader looks for records past their retention (engine.ts). */
const CLEANUP_EVERY_MS = 60 * 1000;

/** How many rows each request's value has, by value. */
function counts(): Record<string, number> {
  const rows = fixture.read(
    (db) => db.prepare('SELECT id, count(*) AS n FROM t GROUP BY id ORDER BY id').all() as { id: string; n: number }[],
  );
  return Object.fromEntries(rows.map((r) => [r.id, r.n]));
}

function recorded(): number[] {
  return fixture
    .read(
      (db) =>
        db.prepare("SELECT seq FROM _baton_applied WHERE client_id = 'client-a' ORDER BY seq").all() as {
          seq: number;
        }[],
    )
    .map((r) => r.seq);
}

beforeEach(() => {
  fixture = new EngineFixture('applied');
});

afterEach(() => {
  jest.useRealTimers();
  fixture.cleanUp();
});

test('the watermark forgets the records below it and keeps the one at it: a re-send at the watermark is answered, not applied again', () => {
  const engine = fixture.openWithTestTable('leader');
  engine.runGroup([1, 2, 3, 4].map((seq) => insertJob(seq)));
  // The member's lowest unsettled request is 3: it will never re-send 1 or 2.
  engine.runGroup([insertJob(5)], [{ clientId: 'client-a', below: 3 }]);
  expect(recorded()).toEqual([3, 4, 5]);
  const [again] = engine.runGroup([insertJob(3, { retry: true })]);
  expect(again).toEqual({ ok: expect.objectContaining({ rowsAffected: 1 }) });
  expect(counts()).toEqual({ w1: 1, w2: 1, w3: 1, w4: 1, w5: 1 });
});

test("the watermark is per member: another member's records at the same sequence numbers stay", () => {
  const engine = fixture.openWithTestTable('leader');
  const other = (seq: number, retry = false): WriteJob => ({
    ...insertJob(seq, { retry }),
    clientId: 'client-b',
    work: { k: 'execute', stmt: { sql: 'INSERT INTO t (id) VALUES (?)', args: [`b${seq}`] } },
  });
  engine.runGroup([insertJob(1), other(1)]);
  engine.runGroup([insertJob(2)], [{ clientId: 'client-a', below: 2 }]);
  engine.runGroup([other(1, true)]);
  expect(counts()).toEqual({ b1: 1, w1: 1, w2: 1 });
});

test('retention: a record exactly APPLIED_RETENTION_MS old is still answered; past it, the next cleanup forgets it', () => {
  jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
  const start = Date.now();
  const engine = fixture.openWithTestTable('leader');
  engine.runGroup([insertJob(1)]);

  // The cleanup runs: records older than the retention go; this one is exactly that old.
  jest.setSystemTime(start + APPLIED_RETENTION_MS);
  engine.runGroup([insertJob(2)]);
  expect(recorded()).toEqual([1, 2]);
  engine.runGroup([insertJob(1, { retry: true })]);
  expect(counts()).toEqual({ w1: 1, w2: 1 });

  // One cleanup interval later, request 1 is past its retention and forgotten; request 2
  // (recorded at the first cleanup) is not yet.
  jest.setSystemTime(start + APPLIED_RETENTION_MS + CLEANUP_EVERY_MS);
  engine.runGroup([insertJob(3)]);
  expect(recorded()).toEqual([2, 3]);
});
