/**
 * The benchmark's table and statements, shared by the database setup and every target so that
 * Baton and direct access run exactly the same SQL.
 */

/** The schema: an integer key, the writing member, and a 200-byte text payload. */
export const SCHEMA_SQL =
  'CREATE TABLE IF NOT EXISTS bench (id INTEGER PRIMARY KEY, member INTEGER NOT NULL, payload TEXT NOT NULL)';

/** One write: inserts one row. */
export const INSERT_SQL = 'INSERT INTO bench (member, payload) VALUES (?, ?)';

/** One point read by primary key. */
export const SELECT_SQL = 'SELECT id, member, payload FROM bench WHERE id = ?';

/** Row payload size in bytes (the "200-byte rows" of the throughput targets). */
export const PAYLOAD_BYTES = 200;

/**
 * A 200-byte ASCII payload. Varied characters rather than one repeated byte, so nothing on the
 * way (msgpack, the page layout) gets an unrealistically easy input; the same for every row,
 * because generating a fresh one per request would add cost that is not the system's.
 */
export const PAYLOAD = Array.from({ length: PAYLOAD_BYTES }, (_, i) =>
  String.fromCharCode(33 + ((i * 7919) % 94)),
).join('');

/** Rows seeded before each run, so point reads have something to find. */
export const SEED_ROWS = 10_000;

/** Picks a uniformly random seeded row id. */
export function randomRowId(seedRows: number): number {
  return 1 + Math.floor(Math.random() * seedRows);
}
