/**
 * The clients the differential suite compares: @libsql/client itself on a `file:` URL, and
 * Baton's `createClient` as a member that hosts the leader, as one that forwards every
 * statement over the socket to a leader hosted by another member, and as one that forwards
 * everything but its standalone reads, which it serves itself (`reads: 'local'`). Each run gets a fresh
 * database in its own temporary directory; `closeAll` closes every client made so far and
 * waits until Baton's members have shut down (their leaders released the database).
 */
import * as path from 'node:path';
import { createClient as createLibsqlClient, type Client, type IntMode } from '@libsql/client';
import { createClient as createBatonClient, type Store } from '@baton/store';
import { startPythonMember, stopPythonMembers } from '../helpers/python-member';
import { tempDir } from '../helpers/temp';

/** One kind of client under test. */
export interface Backend {
  name: string;
  /** Whether this is Baton (which documented differences apply to). */
  baton: boolean;
  /** Baton with `reads: 'local'`: its standalone reads do not cross the wire (see `Difference.wireOnly`). */
  readsLocally?: boolean;
  /** A client on a fresh database, and a way to make more clients on that same database. */
  open(intMode: IntMode): Promise<Opened>;
}

/** What `Backend.open` gives. */
export interface Opened {
  client: Client;
  second: () => Promise<Client>;
  /** Baton only: the role of the client's member (`'leader'` or `'follower'`). */
  role?: () => string;
}

const open: { close(): unknown }[] = [];
/** Reads served locally by the clients closed so far (see `localReadsServed`). */
let localReadsClosed = 0;

function track<C extends { close(): unknown }>(client: C): C {
  open.push(client);
  return client;
}

function freshUrl(): string {
  return `file:${path.join(tempDir('baton-conformance-'), 'db.sqlite')}`;
}

/** Baton's client, tracked for `closeAll`. */
function baton(url: string, intMode: IntMode, reads: 'leader' | 'local' = 'leader'): Store {
  return track(createBatonClient({ url, intMode, baton: { reads } }));
}

/** @libsql/client on a `file:` URL: the reference. */
export const LIBSQL: Backend = {
  name: '@libsql/client',
  baton: false,
  open(intMode) {
    const url = freshUrl();
    return Promise.resolve({
      client: track(createLibsqlClient({ url, intMode })),
      second: () => Promise.resolve(track(createLibsqlClient({ url, intMode }))),
    });
  },
};

/** A Baton member that wins the election on first use and so hosts the leader engine. */
export const BATON_LEADER: Backend = {
  name: 'Baton, leader-hosting member',
  baton: true,
  async open(intMode) {
    const url = freshUrl();
    const client = baton(url, intMode);
    await client.execute('SELECT 1');
    return { client, second: () => Promise.resolve(baton(url, intMode)), role: () => client.role };
  },
};

/**
 * A Baton member that forwards: another member is started first and made to lead (its first
 * statement wins the election), so every statement of the client under test crosses the socket.
 */
export const BATON_FORWARDING: Backend = {
  name: 'Baton, forwarding member',
  baton: true,
  async open(intMode) {
    const url = freshUrl();
    await baton(url, intMode).execute('SELECT 1');
    const client = baton(url, intMode);
    await client.execute('SELECT 1');
    return { client, second: () => Promise.resolve(baton(url, intMode)), role: () => client.role };
  },
};

/**
 * A Baton member with `reads: 'local'` beside a leader hosted by another member: its writes,
 * batches and transactions cross the socket, its standalone reads run on its own read-only
 * connection (`localReadsServed` counts them, so a suite can show that path ran).
 */
export const BATON_LOCAL_READS: Backend = {
  name: 'Baton, forwarding member reading locally',
  baton: true,
  readsLocally: true,
  async open(intMode) {
    const url = freshUrl();
    await baton(url, intMode).execute('SELECT 1');
    const client = baton(url, intMode, 'local');
    await client.execute('SELECT 1');
    return { client, second: () => Promise.resolve(baton(url, intMode, 'local')), role: () => client.role };
  },
};

/**
 * Baton's client forwarding to a leader hosted by a Python member (python/baton): the Python
 * process is started first and wins the election, so the Node client follows it unchanged.
 */
export const BATON_PYTHON_LEADER: Backend = {
  name: 'Baton, member forwarding to a Python leader',
  baton: true,
  async open(intMode) {
    const url = freshUrl();
    await startPythonMember({ path: url.slice('file:'.length), name: 'python-leader' });
    const client = baton(url, intMode);
    await client.execute('SELECT 1');
    return { client, second: () => Promise.resolve(baton(url, intMode)), role: () => client.role };
  },
};

/** Every Baton backend the differential suite compares with @libsql/client. */
export const BATON_BACKENDS: Backend[] = [BATON_LEADER, BATON_FORWARDING, BATON_LOCAL_READS, BATON_PYTHON_LEADER];

/** How many reads Baton's clients served on their own connections, over every client closed by `closeAll` so far. */
export function localReadsServed(): number {
  return localReadsClosed;
}

/** Closes every client opened so far (Baton's `close` resolves once the member has shut down), then the Python leaders. */
export async function closeAll(): Promise<void> {
  const clients = open.splice(0).reverse();
  for (const client of clients) {
    if ('localReads' in client && typeof client.localReads === 'number') localReadsClosed += client.localReads;
    await client.close();
  }
  await stopPythonMembers();
}
