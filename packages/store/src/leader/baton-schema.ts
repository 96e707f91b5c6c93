/**
 * Baton's own tables, created by every leader before its first commit: `_baton_meta` (the
 * epoch), `_baton_applied` (exactly-once: each write's request id and result, in the write's
 * own transaction), `_baton_migrations` (applied schema migrations), `_baton_epochs` (the
 * leader history).
 */
export const BATON_SCHEMA = `
CREATE TABLE IF NOT EXISTS _baton_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _baton_applied (
  client_id TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL, result BLOB,
  PRIMARY KEY (client_id, seq)) WITHOUT ROWID;
DROP INDEX IF EXISTS _baton_applied_at;
CREATE TABLE IF NOT EXISTS _baton_migrations (version INTEGER PRIMARY KEY, sql TEXT NOT NULL, applied_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS _baton_epochs (
  epoch INTEGER PRIMARY KEY, pid INTEGER NOT NULL, name TEXT NOT NULL, started_at INTEGER NOT NULL,
  previous_pid INTEGER, takeover_ms INTEGER);
`;
