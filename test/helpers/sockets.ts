/**
 * Leader sockets live in the per-user runtime directory, not next to the database, so removing
 * a test's temp dir does not remove them; a leader that was SIGKILLed leaves its socket (and the
 * link naming its lock file) behind.
 * Tests register their databases here and call `removeSockets()` in afterEach.
 */
import * as fs from 'node:fs';
import { storePaths, type StorePaths } from '@baton/store';

const registered: StorePaths[] = [];

/** Remembers `database`'s socket for `removeSockets`; returns the socket path. */
export function socketOf(database: string): string {
  const paths = storePaths(database);
  registered.push(paths);
  return paths.socket;
}

/** Removes every registered socket still present, and the link next to it (after every member has exited). */
export function removeSockets(): void {
  for (const { socket, socketLink } of registered.splice(0)) {
    try {
      if (fs.lstatSync(socket).isSocket()) fs.unlinkSync(socket);
    } catch {
      // already gone
    }
    fs.rmSync(socketLink, { force: true });
  }
}
