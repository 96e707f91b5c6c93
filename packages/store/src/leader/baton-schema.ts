/**
 * Baton's own tables, created by every leader before its first commit: `_baton_meta` (the
 * epoch), `_baton_applied` (exactly-once: each write's request id and outcome, in the write's
 * own transaction; see applied-record.ts), `_baton_migrations` (applied schema migrations),
 * `_baton_epochs` (the leader history).
 */
import type Database from 'better-sqlite3';

export const BATON_SCHEMA = `
CREATE TABLE IF NOT EXISTS _baton_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _baton_applied (
  client_id TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL,
  rows_affected INTEGER, last_rowid INTEGER, result BLOB,
  PRIMARY KEY (client_id, seq)) WITHOUT ROWID;
DROP INDEX IF EXISTS _baton_applied_at;
CREATE TABLE IF NOT EXISTS _baton_migrations (version INTEGER PRIMARY KEY, sql TEXT NOT NULL, applied_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS _baton_epochs (
  epoch INTEGER PRIMARY KEY, pid INTEGER NOT NULL, name TEXT NOT NULL, started_at INTEGER NOT NULL,
  previous_pid INTEGER, takeover_ms INTEGER);
`;

/**
 * Rebuilds a `_baton_applied` written by a leader of protocol version 2 (`client_id, seq, at,
 * result`, every outcome a blob) in the current shape, keeping every record: its blob stays the
 * outcome, so a request re-sent across the upgrade is still answered once.
 */
export const UPGRADE_APPLIED_FROM_V2 = `
CREATE TABLE _baton_applied_v3 (
  client_id TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL,
  rows_affected INTEGER, last_rowid INTEGER, result BLOB,
  PRIMARY KEY (client_id, seq)) WITHOUT ROWID;
INSERT INTO _baton_applied_v3 (client_id, seq, at, result) SELECT client_id, seq, at, result FROM _baton_applied;
DROP TABLE _baton_applied;
ALTER TABLE _baton_applied_v3 RENAME TO _baton_applied;
`;

/**
 * Creates Baton's tables where missing and upgrades an older shape, in one IMMEDIATE
 * transaction (run by a leader holding the election, before its first commit).
 */
export function installBatonSchema(db: Database.Database): void {
  db.transaction(() => {
    db.exec(BATON_SCHEMA);
    const columns = db.prepare(`SELECT name FROM pragma_table_info('_baton_applied')`).pluck().all();
    if (!columns.includes('rows_affected')) db.exec(UPGRADE_APPLIED_FROM_V2);
  }).immediate();
}
