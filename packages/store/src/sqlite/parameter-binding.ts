/**
 * Binding an array of arguments by parameter index, as @libsql/client does: its native driver
 * binds `args[i]` to parameter `i + 1` whatever the parameter looks like, so
 * `SELECT ?2, ?1` with `['one', 'two']` gives `two, one`. better-sqlite3 binds an array only to
 * anonymous `?` parameters and everything with a name (`?2`, `:a`) from an object, so an array
 * for such a statement is rearranged here: named indices go into an object under their name
 * (without its first character, as better-sqlite3 looks them up), the others stay positional.
 *
 * The parameters are found as SQLite numbers them (`?NNN` is index NNN, a repeated name keeps
 * its first index, anything else takes the next index), skipping quotes and comments.
 */
import type { SqlValue } from '../protocol/messages';

/** How to turn an array into better-sqlite3's arguments; null when the array binds as it is. */
export type BindingPlan = { names: (string | null)[] } | null;

const QUOTE_CLOSERS: Readonly<Record<string, string>> = { "'": "'", '"': '"', '`': '`', '[': ']' };
const NAME_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

/**
 * The name of each parameter index of `sql` (index 1 first; null for an anonymous `?` or an
 * index no parameter uses), or null when every parameter is an anonymous `?`.
 */
export function bindingPlan(sql: string): BindingPlan {
  const names: (string | null)[] = [];
  const indexOf = new Map<string, number>();
  let named = false;
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql[i]!;
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c in QUOTE_CLOSERS) {
      const end = sql.indexOf(QUOTE_CLOSERS[c]!, i + 1);
      i = end < 0 ? n : end + 1;
    } else if (c === '?') {
      let end = i + 1;
      while (end < n && sql[end]! >= '0' && sql[end]! <= '9') end++;
      if (end === i + 1) {
        names.push(null);
      } else {
        named = true;
        const index = Number(sql.slice(i + 1, end));
        while (names.length < index) names.push(null);
        names[index - 1] = sql.slice(i, end);
      }
      i = end;
    } else if ((c === ':' || c === '@' || c === '$') && i + 1 < n && NAME_CHAR.test(sql[i + 1]!)) {
      let end = i + 1;
      while (end < n && NAME_CHAR.test(sql[end]!)) end++;
      const name = sql.slice(i, end);
      named = true;
      if (!indexOf.has(name)) {
        names.push(name);
        indexOf.set(name, names.length);
      }
      i = end;
    } else if (NAME_CHAR.test(c)) {
      // A whole word, so that the `$` inside an identifier is not taken for a parameter.
      i++;
      while (i < n && NAME_CHAR.test(sql[i]!)) i++;
    } else {
      i++;
    }
  }
  return named ? { names } : null;
}

/**
 * better-sqlite3's arguments for `args` bound by index under `plan`: the anonymous ones in
 * order, then (if any index is named) one object of the named ones. Values beyond the last
 * index stay positional, so better-sqlite3 refuses them as it refuses surplus values.
 */
export function bindByIndex(plan: BindingPlan, args: SqlValue[]): unknown[] {
  if (plan === null) return args;
  const positional: unknown[] = [];
  const named: Record<string, SqlValue> = {};
  let hasNamed = false;
  for (let i = 0; i < args.length; i++) {
    const name = i < plan.names.length ? plan.names[i] : null;
    if (name === null || name === undefined) {
      positional.push(args[i]);
    } else {
      named[name.slice(1)] = args[i]!;
      hasNamed = true;
    }
  }
  if (hasNamed) positional.push(named);
  return positional;
}
