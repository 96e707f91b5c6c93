/**
 * Statements a member may not run through the shared engine, with the reason. The engine owns
 * transactions (group commit runs many members' writes in one transaction, each request in a
 * savepoint), the journal mode, the durability setting and the set of attached files; a client
 * that changed any of them would silently break the guarantees of every other member.
 *
 * Savepoints are the exception where they cannot escape their request: inside an interactive
 * transaction, a batch or a script (each wrapped by the engine), `SAVEPOINT`, `RELEASE` and
 * `ROLLBACK TO` run as SQLite runs them, which is how ORMs nest transactions.
 */
import { StoreError } from '../errors';
import { controlOf, firstKeyword, stripLeading } from '../protocol/sql-text';

/**
 * Where a statement runs: `statement` a single `execute` outside any transaction; `batch` one
 * statement of a batch; `transaction` a statement of an interactive transaction; `script` one
 * statement of `executeMultiple` (its BEGIN/COMMIT/ROLLBACK are handled by the engine).
 */
export type StatementContext = 'statement' | 'batch' | 'transaction' | 'script';

const ENGINE_PRAGMAS = new Set([
  'journal_mode',
  'locking_mode',
  'synchronous',
  'foreign_keys',
  'writable_schema',
  'query_only',
]);

/** The prefix of the engine's own savepoint names, which no member may touch. */
export const ENGINE_SAVEPOINT_PREFIX = '_baton_';

/** Why `sql` is refused in `context`, read from its text (see `refusalReason`). */
function judge(sql: string, context: StatementContext): string | null {
  const text = stripLeading(sql);
  const keyword = firstKeyword(text);
  if (keyword === undefined) return null;
  const control = controlOf(text, keyword);
  if (control === 'savepoint' || control === 'release' || control === 'rollback-to') {
    if (context === 'statement')
      return `${keyword} is only allowed inside transaction(), batch() or executeMultiple(): the leader owns transaction boundaries`;
    if (text.toLowerCase().includes(ENGINE_SAVEPOINT_PREFIX))
      return `savepoint names starting with ${ENGINE_SAVEPOINT_PREFIX} belong to the leader`;
    return null;
  }
  if (control !== null) {
    // Inside a transaction SQLite itself answers a nested BEGIN ("cannot start a transaction
    // within a transaction"), as libsql does; COMMIT and ROLLBACK must go through the commit
    // and rollback operations (fencing, exactly-once), which the member sends for them.
    if (context === 'transaction')
      return control === 'begin'
        ? null
        : `${keyword} inside a transaction is the commit or rollback operation: call commit() or rollback()`;
    // In a batch, BEGIN and ROLLBACK fail the batch as they fail libsql's (the statement runner
    // answers for them without running them). COMMIT would keep part of a batch, which libsql
    // does and Baton's one-transaction batches cannot.
    if (context === 'batch' && (control === 'begin' || control === 'rollback')) return null;
    return `${keyword} is not allowed: use batch() or transaction(), the leader owns transaction boundaries`;
  }
  if (keyword === 'ATTACH' || keyword === 'DETACH') {
    return `${keyword} is not allowed: the leader opens exactly one database file`;
  }
  if (keyword === 'VACUUM') {
    return "VACUUM is not allowed through the store: it cannot run inside the leader's transactions";
  }
  if (keyword === 'PRAGMA') {
    // SQLite accepts comments anywhere and quoted names ("x", 'x', [x], `x`): read past both.
    const bare = text.replace(/\/\*[\s\S]*?\*\/|--[^\n]*/g, ' ').replace(/["'`[\]]/g, '');
    const match = /^PRAGMA\s+(?:\w+\s*\.\s*)?(\w+)\s*(=|\()/i.exec(bare);
    const name = match?.[1]!.toLowerCase();
    // Setting foreign_keys inside a transaction is a no-op in SQLite, and every statement of a
    // batch, a migration, a script or an interactive transaction runs inside one: there it is
    // allowed, as migration files (drizzle-kit's table rebuilds) carry it and libsql's migrate()
    // and batch() ignore it the same way. Alone, it would silently do nothing: refused.
    if (name === 'foreign_keys' && context !== 'statement') return null;
    if (name !== undefined && ENGINE_PRAGMAS.has(name))
      return `setting PRAGMA ${name} is not allowed: the leader owns it`;
  }
  return null;
}

/**
 * Verdicts already reached, by context and SQL text. Members send the same few statements
 * over and over, and reading the text again (strip, keyword, control) cost the engine thread
 * some 3 % of its time under pipelined writes. Bounded like the engine's statement cache, and
 * only for statements of ordinary length, so a member sending endless distinct or huge texts
 * cannot make it grow.
 */
const verdicts: Record<StatementContext, Map<string, string | null>> = {
  statement: new Map(),
  batch: new Map(),
  transaction: new Map(),
  script: new Map(),
};
const VERDICTS_PER_CONTEXT = 512;
const LONGEST_REMEMBERED_SQL = 2048;

/**
 * Returns why `sql` is refused in `context`, or `null` when it may run.
 * Reading a pragma (`PRAGMA journal_mode`) is allowed; setting an engine pragma is not.
 */
export function refusalReason(sql: string, context: StatementContext = 'statement'): string | null {
  if (sql.length > LONGEST_REMEMBERED_SQL) return judge(sql, context);
  const known = verdicts[context];
  let reason = known.get(sql);
  if (reason === undefined) {
    reason = judge(sql, context);
    if (known.size >= VERDICTS_PER_CONTEXT) {
      const oldest = known.keys().next();
      if (oldest.done !== true) known.delete(oldest.value);
    }
    known.set(sql, reason);
  }
  return reason;
}

/** Throws `STATEMENT_REFUSED` when `sql` may not run in `context`. */
export function checkAllowed(sql: string, context: StatementContext): void {
  const reason = refusalReason(sql, context);
  if (reason !== null) throw new StoreError('STATEMENT_REFUSED', reason);
}
