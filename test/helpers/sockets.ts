/**
 * Leader sockets live in the per-user runtime directory, not next to the database, so removing
 * a test's temp dir does not remove them; a leader that was SIGKILLed leaves its socket behind.
 * Tests register their databases here and call `removeSockets()` in afterEach.
 */
import * as fs from 'node:fs';
import { storePaths } from '@baton/store';

const registered: string[] = [];

/** Remembers `database`'s socket for `removeSockets`; returns the socket path. */
export function socketOf(database: string): string {
  const socket = storePaths(database).socket;
  registered.push(socket);
  return socket;
}

/** Removes every registered socket still present (after every member has exited). */
export function removeSockets(): void {
  for (const socket of registered.splice(0)) {
    try {
      if (fs.lstatSync(socket).isSocket()) fs.unlinkSync(socket);
    } catch {
      // already gone
    }
  }
}
