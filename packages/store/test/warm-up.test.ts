/**
 * The warm-up of an engine thread: it runs the request path on a scratch database until its
 * time per request settles, and never opens the database file it will serve. A standby boots
 * its worker next to a real database in WAL mode; once it reports its warm-up, the directory
 * holds exactly what it held before (SQLite opening the file would have made its -shm) and the
 * file's bytes are unchanged.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { WarmUp, warmUpInBackground, type WarmReport } from '../src/leader/warm-up';
import { LeaderHost } from '../src/member/leader-host';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-warm-up-'));
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a warm-up runs group commits and reads on its scratch engine until it is over, and reports them', () => {
  const warmUp = new WarmUp({ synchronous: 'full', pid: process.pid, name: 'warm', maxFrameBytes: 1024 * 1024 });
  let slices = 0;
  while (!warmUp.slice()) slices++;
  const report = warmUp.finish();
  expect(report.error).toBeNull();
  // Each slice is 4 groups of 7 writes and a read each.
  expect(report.requests).toBe((slices + 1) * 4 * 8);
  // Over when settled (never before 30,000 requests) or at a cap (80,000 requests or 3 s).
  expect(report.settled ? report.requests >= 30_000 : report.requests >= 80_000 || report.ms >= 3_000).toBe(true);
});

test('a warm-up that cannot even start only ends, with its error in the report', async () => {
  const report = await new Promise<WarmReport>((resolve) =>
    warmUpInBackground(() => {
      throw new Error('no scratch engine here');
    }, resolve),
  );
  expect(report).toEqual({ requests: 0, ms: 0, settled: false, error: 'no scratch engine here' });
});

test('a warm-up stopped by a start that came first reports at once that it did not settle', () => {
  const reports: WarmReport[] = [];
  const create = jest.fn(
    () => new WarmUp({ synchronous: 'normal', pid: process.pid, name: 'warm', maxFrameBytes: 1024 * 1024 }),
  );
  warmUpInBackground(create, (report) => reports.push(report)).stop();
  expect(reports).toEqual([{ requests: 0, ms: 0, settled: false, error: null }]);
  expect(create).not.toHaveBeenCalled();
});

test("a standby's warm-up does not open the database file it will serve", async () => {
  const file = path.join(dir, 'served.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('before')");
  db.close(); // a clean close checkpoints and removes the -wal and -shm
  const before = { files: fs.readdirSync(dir).sort(), bytes: fs.readFileSync(file) };
  expect(before.files).toEqual(['served.db']);
  const standby = LeaderHost.standby({
    databasePath: file,
    socketPath: path.join(dir, 'served.sock'),
    recordPath: path.join(dir, 'served.db-baton.json'),
    synchronous: 'full',
    name: 'standby',
    pid: process.pid,
    version: 'test',
    maxFrameBytes: 1024 * 1024,
    runawayPath: path.join(dir, 'served.db-baton-runaways'),
    lockPath: path.join(dir, 'served.db-baton.lock'),
    socketLink: path.join(dir, 'served.sock.lock'),
    fileMode: 0o600,
  });
  try {
    const report = await standby.warmed;
    expect(report).toEqual(expect.objectContaining({ error: null }));
    expect(report!.requests).toBeGreaterThan(0);
    expect(fs.readdirSync(dir).sort()).toEqual(before.files);
    expect(fs.readFileSync(file).equals(before.bytes)).toBe(true);
  } finally {
    await standby.worker.terminate();
  }
});
