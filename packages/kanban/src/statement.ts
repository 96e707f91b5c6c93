/**
 * Builds store statements with named parameters. The board writes its SQL with `:name`
 * placeholders and passes one object of values per operation; `stmt` keeps only the names a
 * statement uses, so a batch can share one set of values without binding surprises.
 */
import type { InStatement, InValue } from '@baton/store';

/** Values an operation binds by name. */
export type Params = Record<string, InValue>;

/**
 * A statement binding the `:name` placeholders of `sql` from `params`.
 * Throws when a placeholder has no value: that is a bug in the board, not bad input.
 */
export function stmt(sql: string, params: Params = {}): InStatement {
  const args: Params = {};
  for (const match of sql.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const name = match[1]!;
    if (!(name in params)) throw new Error(`statement uses :${name} but no value was given`);
    args[name] = params[name]!;
  }
  return { sql, args };
}
