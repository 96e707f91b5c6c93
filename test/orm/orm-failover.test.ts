/**
 * Drizzle and Kysely through a forwarding Baton member while the leader dies. The leader is a
 * forked member process whose engine SIGKILLs it right after committing the ORM's insert and
 * before answering (BATON_FAULT=crash-after-commit); another forked member takes over, this
 * process's client re-sends the insert, and the new leader answers it from the exactly-once
 * record: the ORM call succeeds, and the row is there once.
 */
import * as path from 'node:path';
import { createClient, type Store } from '@baton/store';
import { LibsqlDialect } from '@libsql/kysely-libsql';
import { eq, sql as drizzleSql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/libsql';
import { Kysely, sql as kyselySql } from 'kysely';
import { killAll, startMember, type Member } from '../helpers/fleet';
import { removeTempDirs, tempDir } from '../helpers/temp';
import { memberRows } from './drizzle-schema';

/** The forked members' table (test/fixtures/member.ts), as Kysely types it. */
interface MemberTables {
  rows: { id: string; member: string; epoch: number | null };
}

let client: Store | undefined;

afterEach(async () => {
  await client?.close();
  client = undefined;
  await killAll();
  removeTempDirs();
});

/**
 * A leader member that kills itself after committing a statement containing `marker`, a second
 * candidate member to take over, and this process's client, which never leads (so it forwards).
 */
async function fleetWithDoomedLeader(marker: string): Promise<{ leader: Member; heir: Member; url: string }> {
  const file = path.join(tempDir('baton-orm-failover-'), 'orm.db');
  const leader = await startMember(
    { path: file, name: 'doomed-leader' },
    { BATON_FAULT: `crash-after-commit:${marker}` },
  );
  const heir = await startMember({ path: file, name: 'heir' });
  expect(leader.events[0]).toMatchObject({ ev: 'opened', role: 'leader' });
  expect(heir.events[0]).toMatchObject({ ev: 'opened', role: 'follower' });
  return { leader, heir, url: `file:${file}` };
}

/** Resolves once `leader` has died of SIGKILL and `heir` leads. */
async function failedOver(leader: Member, heir: Member): Promise<void> {
  await leader.whenExited();
  expect(leader.child.signalCode).toBe('SIGKILL');
  await heir.waitFor((e) => e.ev === 'role' && e.role === 'leader');
}

test('Drizzle: an insert in flight when the leader is SIGKILLed succeeds once, through a forwarding member', async () => {
  const { leader, heir, url } = await fleetWithDoomedLeader('drizzle-in-flight');
  const app = (client = createClient({ url, baton: { name: 'drizzle-app', candidate: false } }));
  const db = drizzle(app);
  await db.insert(memberRows).values({ id: 'before', member: 'drizzle-app' });

  const inserted = await db
    .insert(memberRows)
    .values({ id: 'in-flight', member: drizzleSql`'drizzle-in-flight'` })
    .returning({ id: memberRows.id });
  expect(inserted).toEqual([{ id: 'in-flight' }]);
  await failedOver(leader, heir);

  expect(await db.select({ id: memberRows.id }).from(memberRows).where(eq(memberRows.id, 'in-flight'))).toEqual([
    { id: 'in-flight' },
  ]);
  await db.transaction(async (tx) => {
    await tx.insert(memberRows).values({ id: 'after', member: 'drizzle-app' });
  });
  expect((await db.select({ id: memberRows.id }).from(memberRows).orderBy(memberRows.id)).map((r) => r.id)).toEqual([
    'after',
    'before',
    'in-flight',
  ]);
});

test('Kysely: an insert in flight when the leader is SIGKILLed succeeds once, through a forwarding member', async () => {
  const { leader, heir, url } = await fleetWithDoomedLeader('kysely-in-flight');
  const app = (client = createClient({ url, baton: { name: 'kysely-app', candidate: false } }));
  const db = new Kysely<MemberTables>({ dialect: new LibsqlDialect({ client: app }) });
  await db.insertInto('rows').values({ id: 'before', member: 'kysely-app', epoch: null }).execute();

  const result = await db
    .insertInto('rows')
    .values({ id: 'in-flight', member: kyselySql<string>`'kysely-in-flight'`, epoch: null })
    .executeTakeFirstOrThrow();
  expect(result.numInsertedOrUpdatedRows).toBe(1n);
  await failedOver(leader, heir);

  const rows = await db.selectFrom('rows').select(['id', 'member']).orderBy('id').execute();
  expect(rows).toEqual([
    { id: 'before', member: 'kysely-app' },
    { id: 'in-flight', member: 'kysely-in-flight' },
  ]);
  await db.transaction().execute(async (tx) => {
    await tx.insertInto('rows').values({ id: 'after', member: 'kysely-app', epoch: null }).execute();
  });
  expect(
    await db
      .selectFrom('rows')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ).toEqual({ n: 3 });
  await db.destroy();
});
