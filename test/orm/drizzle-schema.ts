/**
 * The Drizzle schema of the ORM tests, matching the hand-written migrations in
 * test/fixtures/drizzle-migrations (what drizzle-kit would generate for it).
 */
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Authors, unique by email. */
export const authors = sqliteTable('authors', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull(),
  email: text('email').notNull().unique(),
  bio: text('bio').notNull().default(''),
});

/** Posts, each by one author (a foreign key). */
export const posts = sqliteTable('posts', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  authorId: integer('author_id')
    .notNull()
    .references(() => authors.id),
  title: text('title').notNull(),
  views: integer('views').notNull().default(0),
  publishedAt: integer('published_at', { mode: 'timestamp_ms' }),
});

/** The table of the forked test members (test/fixtures/member.ts), for the failover test. */
export const memberRows = sqliteTable('rows', {
  id: text('id').primaryKey(),
  member: text('member').notNull(),
  epoch: integer('epoch'),
});
