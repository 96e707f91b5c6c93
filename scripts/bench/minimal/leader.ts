/**
 * The minimal forwarding design, the bench's yardstick (not a part of Baton): one process owns
 * better-sqlite3 (WAL) and listens on a Unix socket; the writes that arrive in one event-loop
 * turn run as one transaction, each with an exactly-once row `(client, seq)` as Baton records
 * one, and are answered after the COMMIT; reads are answered at once. No election, failover,
 * fencing or validation: what a forwarding store costs without Baton, so that "Baton / minimal"
 * measures Baton's own cost on the same machine in the same minutes.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import Database from 'better-sqlite3';
import type { SyncMode } from '../messages';
import { encodeMessage, MessageSplitter, type MinimalReply, type MinimalRequest } from './wire';

/** Opens the database, listens on `socketPath` and resolves once it does. */
export function startMinimalLeader(databasePath: string, socketPath: string, sync: SyncMode): Promise<void> {
  const db = new Database(databasePath);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
  db.exec('CREATE TABLE IF NOT EXISTS applied (client TEXT, seq INTEGER, PRIMARY KEY (client, seq)) WITHOUT ROWID');
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (statement === undefined) statements.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
  const begin = db.prepare('BEGIN');
  const commit = db.prepare('COMMIT');
  const record = db.prepare('INSERT INTO applied (client, seq) VALUES (?, ?)');
  let queue: { socket: net.Socket; request: MinimalRequest }[] = [];
  let scheduled = false;

  const answer = (socket: net.Socket, replies: MinimalReply[]): void => {
    socket.cork();
    for (const reply of replies) socket.write(encodeMessage(reply));
    socket.uncork();
  };

  const commitGroup = (): void => {
    scheduled = false;
    const group = queue;
    queue = [];
    const replies = new Map<net.Socket, MinimalReply[]>();
    begin.run();
    for (const { socket, request } of group) {
      let reply: MinimalReply;
      try {
        const result = prepare(request.sql).run(...request.args);
        record.run(request.client, request.id);
        reply = { id: request.id, changes: result.changes, rowid: Number(result.lastInsertRowid) };
      } catch (error) {
        reply = { id: request.id, error: (error as Error).message };
      }
      const list = replies.get(socket);
      if (list === undefined) replies.set(socket, [reply]);
      else list.push(reply);
    }
    commit.run();
    for (const [socket, list] of replies) answer(socket, list);
  };

  const server = net.createServer((socket) => {
    const splitter = new MessageSplitter();
    socket.on('data', (chunk: Buffer) => {
      for (const request of splitter.push<MinimalRequest>(chunk)) {
        if (request.read)
          answer(socket, [
            {
              id: request.id,
              rows: prepare(request.sql)
                .raw(true)
                .all(...request.args),
            },
          ]);
        else queue.push({ socket, request });
      }
      if (queue.length > 0 && !scheduled) {
        scheduled = true;
        setImmediate(commitGroup);
      }
    });
    socket.on('error', () => undefined);
  });
  fs.rmSync(socketPath, { force: true });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
}
