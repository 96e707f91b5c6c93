/**
 * The backends of the board tests: a Baton member that hosts the leader and one that forwards to
 * it (both in this process, on one board that is reset before each test), and two
 * @libsql/client clients on a fresh board file per test, its schema applied as a libsql user
 * would. Call `useBoardBackends()` at the top of a test file: it opens and closes the Baton
 * members around the file's tests.
 */
import * as path from 'node:path';
import { openStore, type Store } from '@baton/store';
import { createClient, type Client } from '@libsql/client';
import { KANBAN_MIGRATIONS, type BoardStore } from '../src';
import { removeTempDirs, tempDir } from './helpers';

/** The clients of one test: the one under test, the other member's, and (Baton) the other member's store to listen on. */
export interface Members {
  main: BoardStore;
  other: BoardStore;
  /** Where the other member hears announcements; only Baton members have `notify`. */
  listener?: Store;
}

/** A backend of the board. */
export interface Backend {
  name: string;
  /** Whether members hear each other's announcements: Baton's notify; a libSQL client has none (dispatchers sweep instead). */
  notifies: boolean;
  open(): Promise<Members>;
  close(): void;
}

/** Registers the Baton members' lifecycle and returns the backends, and the two Baton stores for checks of their roles. */
export function useBoardBackends(): { backends: Backend[]; leader: () => Store; forwarding: () => Store } {
  let leaderStore: Store;
  let forwardingStore: Store;

  beforeAll(async () => {
    const file = path.join(tempDir(), 'kanban.db');
    leaderStore = await openStore({ path: file, name: 'hosting', migrations: KANBAN_MIGRATIONS });
    forwardingStore = await openStore({
      path: file,
      name: 'forwarding',
      candidate: false,
      migrations: KANBAN_MIGRATIONS,
    });
  });

  afterAll(async () => {
    await forwardingStore?.close();
    await leaderStore?.close();
    removeTempDirs();
  });

  const libsqlClients: Client[] = [];

  /** Two libsql clients on a fresh board file, with the kanban schema applied as a libsql user would. */
  async function libsqlMembers(): Promise<Members> {
    const url = `file:${path.join(tempDir(), 'kanban.db')}`;
    const main = createClient({ url });
    libsqlClients.push(main);
    for (const migration of KANBAN_MIGRATIONS) await main.executeMultiple(migration.sql);
    const other = createClient({ url });
    libsqlClients.push(other);
    return { main, other };
  }

  /** Baton's members on the shared board, reset first (a leader transaction; the file is kept). */
  async function batonMembers(main: Store, other: Store): Promise<Members> {
    await leaderStore.reset();
    return { main, other, listener: other };
  }

  const BACKENDS: Backend[] = [
    {
      name: 'a leader-hosting Baton member',
      notifies: true,
      open: () => batonMembers(leaderStore, forwardingStore),
      close: () => undefined,
    },
    {
      name: 'a forwarding Baton member',
      notifies: true,
      open: () => batonMembers(forwardingStore, leaderStore),
      close: () => undefined,
    },
    {
      name: '@libsql/client',
      notifies: false,
      open: libsqlMembers,
      close: () => libsqlClients.splice(0).forEach((client) => client.close()),
    },
  ];

  return { backends: BACKENDS, leader: () => leaderStore, forwarding: () => forwardingStore };
}
