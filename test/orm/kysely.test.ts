/**
 * Kysely 0.28 with `@libsql/kysely-libsql`, given Baton's client as an existing client
 * (`new LibsqlDialect({ client })`): schema building, inserts, selects, joins, updates,
 * transactions, constraint errors, and what its schema introspection lists. Every test runs on
 * @libsql/client too, as the reference.
 */
import { LibsqlDialect } from '@libsql/kysely-libsql';
import { LibsqlError } from '@libsql/client';
import { Kysely, sql, type Generated } from 'kysely';
import { removeTempDirs } from '../helpers/temp';
import {
  BATON_FORWARDING,
  BATON_LEADER,
  BATON_LOCAL_READS,
  closeAll,
  LIBSQL,
  localReadsServed,
} from '../conformance/backends';

/** The test's tables, as Kysely types them. */
interface Database {
  authors: { id: Generated<number>; name: string; email: string };
  posts: { id: Generated<number>; author_id: number; title: string; views: Generated<number> };
}

afterEach(async () => {
  await closeAll();
  removeTempDirs();
});

describe.each([LIBSQL, BATON_LEADER, BATON_FORWARDING, BATON_LOCAL_READS])('Kysely on $name', (backend) => {
  let db: Kysely<Database>;

  beforeEach(async () => {
    const { client } = await backend.open('number');
    db = new Kysely<Database>({ dialect: new LibsqlDialect({ client }) });
    await db.schema
      .createTable('authors')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('email', 'text', (c) => c.notNull().unique())
      .execute();
    await db.schema
      .createTable('posts')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('author_id', 'integer', (c) => c.notNull().references('authors.id'))
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('views', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  });

  afterEach(async () => {
    await db.destroy();
  });

  test('insert, select, join and update', async () => {
    const ada = await db
      .insertInto('authors')
      .values({ name: 'Ada', email: 'ada@example.com' })
      .executeTakeFirstOrThrow();
    expect(ada.insertId).toBe(1n);
    const bob = await db
      .insertInto('authors')
      .values({ name: 'Bob', email: 'bob@example.com' })
      .returning(['id', 'name'])
      .executeTakeFirstOrThrow();
    expect(bob).toEqual({ id: 2, name: 'Bob' });
    await db
      .insertInto('posts')
      .values([
        { author_id: 1, title: 'Engines' },
        { author_id: 2, title: 'Drafts' },
        { author_id: 1, title: 'Notes' },
      ])
      .execute();
    const updated = await db
      .updateTable('posts')
      .set((eb) => ({ views: eb('views', '+', 5) }))
      .where('author_id', '=', 1)
      .executeTakeFirst();
    expect(updated.numUpdatedRows).toBe(2n);
    const joined = await db
      .selectFrom('posts')
      .innerJoin('authors', 'authors.id', 'posts.author_id')
      .select(['authors.name', 'posts.title', 'posts.views'])
      .orderBy('posts.id')
      .execute();
    expect(joined).toEqual([
      { name: 'Ada', title: 'Engines', views: 5 },
      { name: 'Bob', title: 'Drafts', views: 0 },
      { name: 'Ada', title: 'Notes', views: 5 },
    ]);
    const counted = await db
      .selectFrom('posts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(counted.n).toBe(3);
  });

  test('a transaction commits, and one that throws is rolled back', async () => {
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('authors').values({ name: 'Kept', email: 'kept@example.com' }).execute();
    });
    await expect(
      db.transaction().execute(async (tx) => {
        await tx.insertInto('authors').values({ name: 'Undone', email: 'undone@example.com' }).execute();
        throw new Error('change of mind');
      }),
    ).rejects.toThrow('change of mind');
    expect(await db.selectFrom('authors').select('name').execute()).toEqual([{ name: 'Kept' }]);
  });

  test('constraint errors are LibsqlErrors with SQLite codes', async () => {
    await db.insertInto('authors').values({ name: 'Ada', email: 'ada@example.com' }).execute();
    await expect(
      db.insertInto('authors').values({ name: 'Ada 2', email: 'ada@example.com' }).execute(),
    ).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT', extendedCode: 'SQLITE_CONSTRAINT_UNIQUE' });
    const orphan = db.insertInto('posts').values({ author_id: 42, title: 'Orphan' }).execute();
    await expect(orphan).rejects.toBeInstanceOf(LibsqlError);
    await expect(orphan).rejects.toMatchObject({ extendedCode: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
  });

  test('raw SQL through sql`` binds values as the client does', async () => {
    const row = await sql<{ a: number; b: string; c: null }>`SELECT ${1.5} AS a, ${'x'} AS b, ${null} AS c`.execute(db);
    expect(row.rows).toEqual([{ a: 1.5, b: 'x', c: null }]);
  });

  test("schema introspection lists the application's tables, and on Baton its _baton_ tables too (documented)", async () => {
    const tables = (await db.introspection.getTables()).map((t) => t.name).sort();
    const application = tables.filter((name) => !name.startsWith('_baton_'));
    expect(application).toEqual(['authors', 'posts']);
    const baton = tables.filter((name) => name.startsWith('_baton_'));
    expect(baton).toEqual(backend.baton ? ['_baton_applied', '_baton_epochs', '_baton_meta', '_baton_migrations'] : []);
  });
});

// Declared last, so it runs after every test above (jest runs a file's tests in order).
test("the member reading locally served Kysely's reads itself (the local path ran, not only the leader)", async () => {
  await closeAll();
  expect(localReadsServed()).toBeGreaterThan(0);
});
