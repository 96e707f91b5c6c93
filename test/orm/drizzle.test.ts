/**
 * Drizzle (`drizzle-orm/libsql`) handed Baton's client runs unchanged: its runtime migrator on a
 * migrations folder, inserts, selects, joins, updates, `db.batch`, transactions nested with
 * savepoints, and constraint errors. Every test runs on @libsql/client too, as the reference.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { asc, eq, sql } from 'drizzle-orm';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { LibsqlError, type Client } from '@libsql/client';
import { removeTempDirs } from '../helpers/temp';
import {
  BATON_FORWARDING,
  BATON_LEADER,
  BATON_LOCAL_READS,
  closeAll,
  LIBSQL,
  localReadsServed,
} from '../conformance/backends';
import { authors, posts } from './drizzle-schema';

const MIGRATIONS = path.join(__dirname, '..', '..', 'fixtures', 'drizzle-migrations');

/** The LibsqlError behind a failure: Drizzle wraps query errors (DrizzleQueryError) and keeps the driver's as `cause`. */
function libsqlErrorOf(error: unknown): LibsqlError {
  const found = error instanceof LibsqlError ? error : error instanceof Error ? error.cause : undefined;
  if (!(found instanceof LibsqlError))
    throw new Error(`expected a LibsqlError (or one as the cause), got ${String(error)}`);
  return found;
}

async function failure(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}

afterEach(async () => {
  await closeAll();
  removeTempDirs();
});

describe.each([LIBSQL, BATON_LEADER, BATON_FORWARDING, BATON_LOCAL_READS])('Drizzle on $name', (backend) => {
  let db: LibSQLDatabase;
  let client: Client;

  beforeEach(async () => {
    ({ client } = await backend.open('number'));
    db = drizzle(client);
    await migrate(db, { migrationsFolder: MIGRATIONS });
  });

  test('the runtime migrator applies the migrations folder once, recording each migration', async () => {
    await migrate(db, { migrationsFolder: MIGRATIONS });
    const applied = await db.all<{ created_at: number }>(
      sql`SELECT created_at FROM __drizzle_migrations ORDER BY created_at`,
    );
    expect(applied.map((row) => Number(row.created_at))).toEqual([1764460800000, 1764464400000, 1764468000000]);
    const tables = await db.all<{ name: string }>(
      sql`SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('authors', 'posts') ORDER BY name`,
    );
    expect(tables.map((t) => t.name)).toEqual(['authors', 'posts']);
  });

  test("a drizzle-kit table rebuild (PRAGMA foreign_keys=OFF around it) keeps the rows and the other tables' references", async () => {
    const rebuild = fs
      .readFileSync(path.join(MIGRATIONS, '0002_authors_bio.sql'), 'utf8')
      .split('--> statement-breakpoint');
    await db.insert(authors).values({ name: 'Ada', email: 'ada@example.com' });
    await db.insert(posts).values({ authorId: 1, title: 'Engines' });
    // The migrator ran the rebuild on empty tables; run again with rows and a post referencing
    // them, its DROP TABLE passes only because foreign keys are off during migrate().
    await client.migrate(rebuild);
    expect(await db.select({ name: authors.name, bio: authors.bio }).from(authors)).toEqual([{ name: 'Ada', bio: '' }]);
    expect(await db.all(sql`PRAGMA foreign_key_check`)).toEqual([]);
  });

  test('insert ... returning, select, join and update', async () => {
    const [ada] = await db.insert(authors).values({ name: 'Ada', email: 'ada@example.com' }).returning();
    const [bob] = await db
      .insert(authors)
      .values({ name: 'Bob', email: 'bob@example.com' })
      .returning({ id: authors.id });
    expect(ada).toEqual({ id: 1, name: 'Ada', email: 'ada@example.com', bio: '' });
    const published = new Date(1_700_000_000_123);
    await db.insert(posts).values([
      { authorId: ada!.id, title: 'Engines', publishedAt: published },
      { authorId: bob!.id, title: 'Drafts' },
      { authorId: ada!.id, title: 'Notes' },
    ]);
    const updated = await db
      .update(posts)
      .set({ views: sql`${posts.views} + 10` })
      .where(eq(posts.authorId, ada!.id))
      .returning({ id: posts.id, views: posts.views });
    expect(updated).toEqual([
      { id: 1, views: 10 },
      { id: 3, views: 10 },
    ]);
    const joined = await db
      .select({ author: authors.name, title: posts.title, views: posts.views, publishedAt: posts.publishedAt })
      .from(posts)
      .innerJoin(authors, eq(posts.authorId, authors.id))
      .orderBy(asc(posts.id));
    expect(joined).toEqual([
      { author: 'Ada', title: 'Engines', views: 10, publishedAt: published },
      { author: 'Bob', title: 'Drafts', views: 0, publishedAt: null },
      { author: 'Ada', title: 'Notes', views: 10, publishedAt: null },
    ]);
    expect(await db.select().from(authors).where(eq(authors.email, 'bob@example.com')).get()).toEqual({
      id: 2,
      name: 'Bob',
      email: 'bob@example.com',
      bio: '',
    });
  });

  test('db.batch returns every result, and a failing batch keeps nothing', async () => {
    const [inserted, , all] = await db.batch([
      db.insert(authors).values({ name: 'Ada', email: 'ada@example.com' }).returning({ id: authors.id }),
      db.insert(posts).values({ authorId: 1, title: 'First' }),
      db.select({ title: posts.title }).from(posts),
    ]);
    expect(inserted).toEqual([{ id: 1 }]);
    expect(all).toEqual([{ title: 'First' }]);
    const error = await failure(
      db.batch([
        db.insert(posts).values({ authorId: 1, title: 'Second' }),
        db.insert(authors).values({ name: 'Ada again', email: 'ada@example.com' }),
      ]),
    );
    expect(libsqlErrorOf(error)).toMatchObject({
      code: 'SQLITE_CONSTRAINT',
      extendedCode: 'SQLITE_CONSTRAINT_UNIQUE',
      statementIndex: 1,
    });
    expect(await db.select({ title: posts.title }).from(posts)).toEqual([{ title: 'First' }]);
  });

  test('transactions commit, roll back, and nest with savepoints', async () => {
    await db.transaction(async (tx) => {
      await tx.insert(authors).values({ name: 'Outer', email: 'outer@example.com' });
      await tx.transaction(async (nested) => {
        await nested.insert(authors).values({ name: 'Kept', email: 'kept@example.com' });
      });
      await expect(
        tx.transaction(async (nested) => {
          await nested.insert(authors).values({ name: 'Undone', email: 'undone@example.com' });
          nested.rollback();
        }),
      ).rejects.toThrow('Rollback');
      await expect(
        tx.transaction(async (nested) => {
          await nested.insert(authors).values({ name: 'Duplicate', email: 'outer@example.com' });
        }),
      ).rejects.toThrow();
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(authors).values({ name: 'Whole', email: 'whole@example.com' });
        tx.rollback();
      }),
    ).rejects.toThrow('Rollback');
    const names = await db.select({ name: authors.name }).from(authors).orderBy(asc(authors.id));
    expect(names).toEqual([{ name: 'Outer' }, { name: 'Kept' }]);
  });

  test('constraint errors reach the caller as LibsqlErrors with SQLite codes', async () => {
    await db.insert(authors).values({ name: 'Ada', email: 'ada@example.com' });
    const unique = await failure(db.insert(authors).values({ name: 'Ada 2', email: 'ada@example.com' }));
    expect(libsqlErrorOf(unique)).toMatchObject({
      code: 'SQLITE_CONSTRAINT',
      extendedCode: 'SQLITE_CONSTRAINT_UNIQUE',
      rawCode: 2067,
    });
    const foreignKey = await failure(db.insert(posts).values({ authorId: 999, title: 'Orphan' }));
    expect(libsqlErrorOf(foreignKey)).toMatchObject({
      code: 'SQLITE_CONSTRAINT',
      extendedCode: 'SQLITE_CONSTRAINT_FOREIGNKEY',
      rawCode: 787,
    });
    const notNull = await failure(db.insert(authors).values({ name: sql`NULL`, email: 'x@example.com' }));
    expect(libsqlErrorOf(notNull)).toMatchObject({
      code: 'SQLITE_CONSTRAINT',
      extendedCode: 'SQLITE_CONSTRAINT_NOTNULL',
    });
    expect(await db.$count(authors)).toBe(1);
  });
});

// Declared last, so it runs after every test above (jest runs a file's tests in order).
test("the member reading locally served Drizzle's reads itself (the local path ran, not only the leader)", async () => {
  await closeAll();
  expect(localReadsServed()).toBeGreaterThan(0);
});
