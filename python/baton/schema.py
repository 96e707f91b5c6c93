"""Baton's own tables, as every leader creates them (packages/store/src/leader/baton-schema.ts),
and the statements a leader runs on them: one module, so a schema change is one edit here."""

BATON_SCHEMA = """
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
"""

#: Rebuilds a ``_baton_applied`` written by a leader of protocol version 2 (every outcome a blob in
#: ``result``) in the current shape, keeping every record: a request re-sent across the upgrade is
#: still answered once.
UPGRADE_APPLIED_FROM_V2 = """
CREATE TABLE _baton_applied_v3 (
  client_id TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL,
  rows_affected INTEGER, last_rowid INTEGER, result BLOB,
  PRIMARY KEY (client_id, seq)) WITHOUT ROWID;
INSERT INTO _baton_applied_v3 (client_id, seq, at, result) SELECT client_id, seq, at, result FROM _baton_applied;
DROP TABLE _baton_applied;
ALTER TABLE _baton_applied_v3 RENAME TO _baton_applied;
"""

#: The columns of ``_baton_applied``: without ``rows_affected`` it has the version 2 shape.
APPLIED_COLUMNS = "SELECT name FROM pragma_table_info('_baton_applied')"

READ_EPOCH = "SELECT value FROM _baton_meta WHERE key = 'epoch'"
WRITE_EPOCH = "INSERT OR REPLACE INTO _baton_meta (key, value) VALUES ('epoch', ?)"
LAST_LEADER = "SELECT pid FROM _baton_epochs ORDER BY epoch DESC LIMIT 1"
ADD_EPOCH = (
    "INSERT INTO _baton_epochs (epoch, pid, name, started_at, previous_pid, takeover_ms) VALUES (?, ?, ?, ?, ?, ?)"
)
EPOCH_HISTORY = (
    "SELECT epoch, pid, name, started_at, previous_pid, takeover_ms FROM _baton_epochs ORDER BY epoch DESC LIMIT ?"
)
FIND_APPLIED = "SELECT rows_affected, last_rowid, result FROM _baton_applied WHERE client_id = ? AND seq = ?"
RECORD_APPLIED = (
    "INSERT INTO _baton_applied (client_id, seq, at, rows_affected, last_rowid, result) VALUES (?, ?, ?, ?, ?, ?)"
)
FORGET_BELOW = "DELETE FROM _baton_applied WHERE client_id = ? AND seq < ?"
FORGET_OLDER = "DELETE FROM _baton_applied WHERE at < ?"
FIND_MIGRATION = "SELECT sql FROM _baton_migrations WHERE version = ?"
RECORD_MIGRATION = "INSERT INTO _baton_migrations (version, sql, applied_at) VALUES (?, ?, ?)"
SCHEMA_VERSION = "SELECT COALESCE(MAX(version), 0) FROM _baton_migrations"
RECORDED_MIGRATIONS = "SELECT sql FROM _baton_migrations ORDER BY version"
APPLICATION_OBJECTS = (
    "SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
    "AND name NOT LIKE '\\_baton\\_%' ESCAPE '\\' AND type IN ('table', 'view')"
)

#: The savepoint each batch, migration, script, notify and reset of a group commit runs in.
JOB_SAVEPOINT = "_baton_job"
