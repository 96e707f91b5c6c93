/** The table most scenarios work on: rows with a unique name, so a duplicate is a constraint error. */

/** Creates `t (id, name UNIQUE NOT NULL)`. */
export const TABLE = `CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)`;

/** The names in `t`, in insertion order. */
export const NAMES = 'SELECT name FROM t ORDER BY id';

/** How many rows `t` has. */
export const COUNT = 'SELECT count(*) AS n FROM t';
