/**
 * Epochs: every leader takes the next epoch number as its first committed act, and records
 * itself in the epoch history. The fence (`LeaderEngine.checkFence`) compares the database's
 * epoch with its own before every commit, so a leader that lost the election cannot commit.
 */
import type { EpochRecord } from '../protocol/status';
import type { SqliteConnection } from '../sqlite/sqlite-connection';

/**
 * Takes the next epoch and records this leader in the history, in one IMMEDIATE transaction.
 * @param electionStartedAt - when the election that made this leader began (ms since the Unix epoch), for the takeover time
 * @returns the new epoch
 */
export function takeNextEpoch(writer: SqliteConnection, pid: number, name: string, electionStartedAt: number): number {
  return writer.db
    .transaction(() => {
      const row = writer.first(`SELECT value FROM _baton_meta WHERE key = 'epoch'`);
      const epoch = (row === undefined ? 0 : Number(row[0])) + 1;
      writer.write(`INSERT OR REPLACE INTO _baton_meta (key, value) VALUES ('epoch', ?)`, epoch);
      const previous = writer.first(`SELECT pid FROM _baton_epochs ORDER BY epoch DESC LIMIT 1`);
      // A plain INSERT: an epoch already in the history (two leaders counting from the same
      // value) fails this leader's first commit instead of overwriting its predecessor's row,
      // so the history can never hide a repeated epoch.
      writer.write(
        `INSERT INTO _baton_epochs (epoch, pid, name, started_at, previous_pid, takeover_ms) VALUES (?, ?, ?, ?, ?, ?)`,
        epoch,
        pid,
        name,
        Date.now(),
        previous === undefined ? null : previous[0],
        Math.max(0, Date.now() - electionStartedAt),
      );
      return epoch;
    })
    .immediate();
}

/** The most recent `limit` leaders, newest first. */
export function readEpochHistory(reader: SqliteConnection, limit: number): EpochRecord[] {
  const rows = reader.db
    .prepare(
      'SELECT epoch, pid, name, started_at, previous_pid, takeover_ms FROM _baton_epochs ORDER BY epoch DESC LIMIT ?',
    )
    .raw(true)
    .all(limit) as [number, number, string, number, number | null, number | null][];
  return rows.map(([epoch, pid, name, startedAt, previousPid, takeoverMs]) => ({
    epoch,
    pid,
    name,
    startedAt,
    previousPid,
    takeoverMs,
  }));
}
