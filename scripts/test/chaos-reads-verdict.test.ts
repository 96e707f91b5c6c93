/**
 * The chaos runner's checks of readers and replaced files, fed logs and files written by hand:
 * a read that missed a write acknowledged before it started fails, so does a read of a replaced
 * file after a write was acknowledged in its successor, and a correct history passes; every
 * generation's file is read, an operation found in two of them is caught, and writes in a
 * replaced file are counted as lost to the replacement.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { removeTempDirs, tempDir } from '@baton/test-support/temp';
import { checkRows, WriteLogs } from '../chaos/check';
import { generationsCheck, type GenerationFile } from '../chaos/generations';
import { CHAOS_MIGRATIONS, GENERATION_TABLE } from '../chaos/protocol';
import { parseReadLog, readsVerdict, type PlacedWrite, type ReadLogs } from '../chaos/reads-verdict';

afterEach(() => removeTempDirs());

const READ_CHECK = 'every read saw every write acknowledged before it started';

/** Three writes: two in generation 0 (rowids up to 3, then 5), one in generation 1 (rowid 2). */
const WRITES: PlacedWrite[] = [
  { op: '0.1.1', ackNs: 100n, generation: 0, maxRowid: 3 },
  { op: '1.1.1', ackNs: 200n, generation: 0, maxRowid: 5 },
  { op: '0.1.2', ackNs: 300n, generation: 1, maxRowid: 2 },
];

/** Read logs from lines, as the readers write them. */
function readLogs(lines: string[]): ReadLogs {
  const logs: ReadLogs = { reads: [], failures: {}, malformedLines: 0 };
  parseReadLog('r7.1', lines, logs);
  return logs;
}

test('a history in which every read saw what was acknowledged before it passes, with the reads counted', () => {
  const logs = readLogs([
    'R 50 0 0 L', // before any acknowledgement: an empty table
    'R 150 0 3 L',
    'R 190 0 3 F', // started before 1.1.1 was acknowledged: it need not see it
    'R 250 0 5 L',
    'R 260 0 9 L', // sees more than was acknowledged (a commit not yet answered): fine
    'R 350 1 2 L',
  ]);
  const { checks, seen } = readsVerdict(WRITES, logs);
  expect(checks.filter((c) => !c.ok)).toEqual([]);
  expect(seen).toEqual({ checked: 6, local: 5, forwarded: 1, failed: 0, violations: 0 });
  expect(checks.find((c) => c.name === READ_CHECK)!.detail).toBe('6 reads checked against 3 acknowledged writes');
});

test('a read that missed a write acknowledged before it started fails, naming the write', () => {
  const { checks, seen } = readsVerdict(WRITES, readLogs(['R 150 0 3 L', 'R 250 0 3 L']));
  const check = checks.find((c) => c.name === READ_CHECK)!;
  expect(check.ok).toBe(false);
  expect(seen.violations).toBe(1);
  expect(check.detail).toBe(
    '1 of 2 reads missed an acknowledged write: r7.1 at 250 ns (local) saw max(rowid) 3 in generation 0, missing 1.1.1 (rowid 5, acknowledged at 200 ns)',
  );
});

test('a read of a replaced file after a write was acknowledged in its successor fails', () => {
  // Generation 0 read whole (max rowid 5), but at 350 ns, after 0.1.2 was acknowledged in generation 1.
  const { checks, seen } = readsVerdict(WRITES, readLogs(['R 350 0 5 L']));
  const check = checks.find((c) => c.name === READ_CHECK)!;
  expect(check.ok).toBe(false);
  expect(seen.violations).toBe(1);
  expect(check.detail).toMatch(
    /r7\.1 at 350 ns \(local\) read generation 0, after 0\.1\.2 was acknowledged in generation 1 at 300 ns/,
  );
});

test('reads never served locally, failed reads, no reads and torn lines each fail a check', () => {
  const forwarded = readsVerdict(WRITES, readLogs(['R 150 0 3 F', 'R 250 0 5 F']));
  expect(forwarded.checks.find((c) => c.name === 'readers served reads themselves (reads: local)')).toMatchObject({
    ok: false,
    detail: '0 of 2 reads served locally, 2 forwarded to the leader',
  });

  const failed = readsVerdict(WRITES, readLogs(['R 150 0 3 L', 'X 200 TIMEOUT', 'X 210 TIMEOUT']));
  expect(failed.checks.find((c) => c.name === 'no read failed')).toMatchObject({ ok: false, detail: 'TIMEOUT x2' });
  expect(failed.seen.failed).toBe(2);

  expect(readsVerdict(WRITES, readLogs([])).checks.find((c) => c.name === READ_CHECK)).toMatchObject({
    ok: false,
    detail: 'no read was logged',
  });

  const torn = readLogs(['R 150 0 3 L', 'R 250 0']);
  expect(torn.malformedLines).toBe(1);
  expect(readsVerdict(WRITES, torn).checks.find((c) => c.name === READ_CHECK)!.ok).toBe(false);
});

/** A database file as the runner creates it for generation `g`, with `ids` inserted (op = id without its row index). */
function generationFile(dir: string, g: number, file: string, ids: string[]): GenerationFile {
  const db = new Database(path.join(dir, file));
  db.exec(
    `${GENERATION_TABLE}; INSERT INTO chaos_generation VALUES (${g}); ${CHAOS_MIGRATIONS.map((m) => m.sql).join('; ')}`,
  );
  const insert = db.prepare("INSERT INTO chaos_rows (id, op, member) VALUES (?, ?, 'm0.1')");
  for (const id of ids) insert.run(id, id.slice(0, id.lastIndexOf('.')));
  db.close();
  return { generation: g, path: path.join(dir, file), restoredWal: null };
}

test('every generation is read: writes in a replaced file count as lost to the replacement, and feed the reads check', async () => {
  const dir = tempDir();
  // 0.1.1 (2 rows) acknowledged in generation 0; 0.1.2 (1 row) in generation 1.
  fs.writeFileSync(path.join(dir, '0.1.log'), 'S 0.1.1 batch 2\nA 0.1.1 100\nS 0.1.2 one 1\nA 0.1.2 300\n');
  const files = [
    generationFile(dir, 0, 'lost-0.db', ['0.1.1.0', '0.1.1.1']),
    generationFile(dir, 1, 'chaos.db', ['0.1.2.0']),
  ];
  const logs = await WriteLogs.read(dir);
  const { checks, totals } = await checkRows(files, logs);
  expect(checks.filter((c) => !c.ok)).toEqual([]);
  expect(totals).toMatchObject({ opsAcked: 2, rowsInDatabase: 3, opsAckedInLostFiles: 1, rowsByGeneration: [2, 1] });
  expect(logs.placedWrites()).toEqual([
    { op: '0.1.1', ackNs: 100n, generation: 0, maxRowid: 2 },
    { op: '0.1.2', ackNs: 300n, generation: 1, maxRowid: 1 },
  ]);
});

test("an operation in a replaced file and again in the next (its reply lost with the replaced file's leader, re-sent) counts once, in the later file", async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, '0.1.log'), 'S 0.1.1 batch 2\nA 0.1.1 100\n');
  const files = [
    generationFile(dir, 0, 'lost-0.db', ['0.1.1.0', '0.1.1.1']),
    generationFile(dir, 1, 'chaos.db', ['0.1.1.0', '0.1.1.1']),
  ];
  const logs = await WriteLogs.read(dir);
  const { checks, totals } = await checkRows(files, logs);
  expect(checks.filter((c) => !c.ok)).toEqual([]);
  expect(totals).toMatchObject({ opsAcked: 1, opsReappliedAfterReplacement: 1, opsAckedInLostFiles: 0 });
  expect(logs.placedWrites()).toEqual([{ op: '0.1.1', ackNs: 100n, generation: 1, maxRowid: 2 }]);
});

test('an operation twice in one file, or partly in a replaced file, is caught', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, '0.1.log'), 'S 0.1.1 one 1\nA 0.1.1 100\nS 0.1.2 batch 2\nA 0.1.2 200\n');
  const files = [
    generationFile(dir, 0, 'lost-0.db', ['0.1.2.0']),
    generationFile(dir, 1, 'chaos.db', ['0.1.1.0', '0.1.1.0', '0.1.2.0', '0.1.2.1']),
  ];
  const { checks } = await checkRows(files, await WriteLogs.read(dir));
  expect(checks.find((c) => c.name === 'no row is present twice')).toMatchObject({
    ok: false,
    detail: '1 ids applied more than once: 0.1.1.0 x2 in generation 1',
  });
  expect(checks.find((c) => c.name === 'no batch or transaction partly applied')).toMatchObject({
    ok: false,
    detail: '0.1.2 (1/2 rows in generation 0)',
  });
});

test('a replaced file without the WAL its leader moved aside, or a WAL matching no file, fails the generations check', () => {
  const lost = (g: number, wal: string | null): GenerationFile => ({
    generation: g,
    path: `lost-${g}.db`,
    restoredWal: wal,
  });
  const final: GenerationFile = { generation: 2, path: 'chaos.db', restoredWal: null };
  const whole = generationsCheck([lost(0, 'a'), lost(1, 'b'), final], []);
  expect(whole.check.ok).toBe(true);
  expect(whole.seen).toEqual({ files: 3, walsRestored: 2 });

  const missing = generationsCheck([lost(0, 'a'), lost(1, null), final], ['chaos.db-wal.lost-epoch3-5']);
  expect(missing.check).toMatchObject({
    ok: false,
    detail: 'no quarantined -wal for lost-1.db; quarantined -wal matching no lost file: chaos.db-wal.lost-epoch3-5',
  });
});
