/**
 * More than one client on one database, and the client's own lifecycle: what one client sees
 * of another's work, a write behind another's open transaction, sync and reconnect.
 */
import { refused, type Scenario } from '../scenario';
import { NAMES, TABLE } from './names-table';

export const CLIENT_SCENARIOS: Scenario[] = [
  {
    name: 'a second client sees committed writes, and only those',
    setup: TABLE,
    async run({ client, second, step }) {
      const other = await second();
      await step('write', () => client.execute(`INSERT INTO t (name) VALUES ('a')`));
      await step('other reads it', () => other.execute(NAMES));
      const tx = await client.transaction('write');
      await step('write in a transaction', () => tx.execute(`INSERT INTO t (name) VALUES ('b')`));
      await step('other does not see it', () => other.execute(NAMES));
      await step('commit', () => tx.commit());
      await step('other sees it now', () => other.execute(NAMES));
    },
  },
  {
    name: "a write issued while another client's write transaction is open completes after its commit",
    setup: TABLE,
    async run({ client, second, step }) {
      const other = await second();
      const tx = await client.transaction('write');
      await step('write in the transaction', () => tx.execute(`INSERT INTO t (name) VALUES ('a')`));
      const write = step('other writes', () => other.execute(`INSERT INTO t (name) VALUES ('b')`));
      await step('commit', () => tx.commit());
      await write;
      await step('after', () => client.execute(NAMES));
    },
  },
  {
    name: 'sync on a local database and reconnect after close',
    setup: TABLE,
    difference: {
      reason: 'sync() rejects with SYNC_NOT_SUPPORTED, a LibsqlError',
      documented: 'SYNC_NOT_SUPPORTED',
      steps: { sync: refused('SYNC_NOT_SUPPORTED') },
    },
    async run({ client, step }) {
      await step('sync', () => client.sync());
      await step('write', () => client.execute(`INSERT INTO t (name) VALUES ('a')`));
      await step('close', () => client.close());
      await step('reconnect', () => client.reconnect());
      await step('closed after reconnect', () => client.closed);
      await step('reads after reconnect', () => client.execute(NAMES));
    },
  },
];
