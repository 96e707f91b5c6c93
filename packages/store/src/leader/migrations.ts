/**
 * Schema migrations and the safe "init", run by the leader engine. Every member sends the
 * migrations it knows in its hello; the leader applies the ones the database has not seen, in
 * one transaction, so a newer member joining an older leader brings its schema along. Two
 * members that disagree on the SQL of one version are refused with `SCHEMA_CONFLICT`.
 */
import { StoreError } from '../errors';
import type { Migration } from '../protocol/messages';
import type { SqliteConnection } from '../sqlite/sqlite-connection';

/**
 * True when every one of `migrations` is already applied with the same SQL, as `connection`
 * sees it. Throws `SCHEMA_CONFLICT` when one is applied with other SQL.
 */
export function hasMigrations(connection: SqliteConnection, migrations: readonly Migration[]): boolean {
  let all = true;
  for (const migration of migrations) {
    const known = connection.first('SELECT sql FROM _baton_migrations WHERE version = ?', migration.version);
    if (known === undefined) all = false;
    else if (String(known[0]).trim() !== migration.sql.trim()) {
      throw new StoreError('SCHEMA_CONFLICT', `migration ${migration.version} is already applied with different SQL`);
    }
  }
  return all;
}

/**
 * Applies the migrations the database has not seen, in version order, in one IMMEDIATE
 * transaction on the writer, after `checkFence` (a fenced leader applies nothing). Throws
 * `SCHEMA_CONFLICT` when a version is known with other SQL or a migration fails; nothing is
 * applied then.
 */
export function applyMigrations(
  writer: SqliteConnection,
  migrations: readonly Migration[],
  checkFence: () => void,
): void {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  const apply = writer.db.transaction(() => {
    checkFence();
    for (const migration of sorted) {
      const known = writer.first('SELECT sql FROM _baton_migrations WHERE version = ?', migration.version);
      if (known !== undefined) {
        if (String(known[0]).trim() !== migration.sql.trim()) {
          throw new StoreError(
            'SCHEMA_CONFLICT',
            `migration ${migration.version} is already applied with different SQL`,
          );
        }
        continue;
      }
      writer.exec(migration.sql);
      writer.write(
        'INSERT INTO _baton_migrations (version, sql, applied_at) VALUES (?, ?, ?)',
        migration.version,
        migration.sql,
        Date.now(),
      );
    }
  });
  try {
    apply.immediate();
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError('SCHEMA_CONFLICT', `a migration failed: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The safe "init": drops every table and view of the application (Baton's own `_baton_`
 * tables stay; indexes and triggers go with their tables) and replays the recorded migrations,
 * inside the writer's current transaction. The database file itself is never deleted.
 */
export function resetSchema(writer: SqliteConnection): void {
  const db = writer.db;
  db.pragma('defer_foreign_keys = ON');
  const objects = db
    .prepare(
      `SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_baton\\_%' ESCAPE '\\' AND type IN ('table', 'view')`,
    )
    .all() as { type: string; name: string }[];
  for (const object of objects) {
    writer.exec(`DROP ${object.type === 'view' ? 'VIEW' : 'TABLE'} IF EXISTS "${object.name.replaceAll('"', '""')}"`);
  }
  const recorded = db.prepare('SELECT sql FROM _baton_migrations ORDER BY version').all() as { sql: string }[];
  for (const migration of recorded) writer.exec(migration.sql);
}
