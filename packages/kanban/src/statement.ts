/**
 * Builds statements with named parameters, for any `@libsql/client`-shaped client. The board writes its SQL with `:name`
 * placeholders and passes one object of values per operation; `stmt` keeps only the names a
 * statement uses, so a batch can share one set of values without binding surprises.
 */
import type { InValue } from '@baton/store';

/** Values an operation binds by name. */
export type Params = Record<string, InValue>;

/** A statement with its named arguments: an `InStatement` that `Transaction.execute` takes too. */
export interface NamedStatement {
  sql: string;
  args: Params;
}

/**
 * A statement binding the `:name` placeholders of `sql` from `params`.
 * Throws when a placeholder has no value: that is a bug in the board, not bad input.
 */
export function stmt(sql: string, params: Params = {}): NamedStatement {
  const args: Params = {};
  for (const match of sql.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const name = match[1]!;
    if (!(name in params)) throw new Error(`statement uses :${name} but no value was given`);
    args[name] = params[name]!;
  }
  return { sql, args };
}
