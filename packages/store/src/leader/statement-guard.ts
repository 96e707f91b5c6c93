/**
 * Statements a member may not run through the shared engine, with the reason. The engine owns
 * transactions (group commit wraps every write in a savepoint), the journal mode, the
 * durability setting and the set of attached files; a client that changed any of them would
 * silently break the guarantees of every other member.
 */
import { StoreError } from '../errors';
import type { WireStatement } from '../protocol/messages';

const TRANSACTION_CONTROL = new Set(['BEGIN', 'COMMIT', 'END', 'ROLLBACK', 'SAVEPOINT', 'RELEASE']);
const ENGINE_PRAGMAS = new Set(['journal_mode', 'locking_mode', 'synchronous', 'foreign_keys', 'writable_schema', 'query_only']);

/** Skips what SQLite skips before a statement: white space, comments and empty statements (`;`). */
function stripLeading(sql: string): string {
  let rest = sql;
  for (;;) {
    const trimmed = rest.trimStart();
    if (trimmed.startsWith(';')) {
      rest = trimmed.slice(1);
    } else if (trimmed.startsWith('--')) {
      const end = trimmed.indexOf('\n');
      rest = end < 0 ? '' : trimmed.slice(end + 1);
    } else if (trimmed.startsWith('/*')) {
      const end = trimmed.indexOf('*/');
      rest = end < 0 ? '' : trimmed.slice(end + 2);
    } else {
      return trimmed;
    }
  }
}

/**
 * Returns why `sql` is refused, or `null` when it may run.
 * Reading a pragma (`PRAGMA journal_mode`) is allowed; setting an engine pragma is not.
 */
export function refusalReason(sql: string): string | null {
  const text = stripLeading(sql);
  const keyword = /^[A-Za-z]+/.exec(text)?.[0]?.toUpperCase();
  if (keyword === undefined) return null;
  if (TRANSACTION_CONTROL.has(keyword)) {
    return `${keyword} is not allowed: use batch() or transaction(), the leader owns transaction boundaries`;
  }
  if (keyword === 'ATTACH' || keyword === 'DETACH') {
    return `${keyword} is not allowed: the leader opens exactly one database file`;
  }
  if (keyword === 'VACUUM') {
    return 'VACUUM is not allowed through the store: it cannot run inside the leader\'s transactions';
  }
  if (keyword === 'PRAGMA') {
    // SQLite accepts comments anywhere and quoted names ("x", 'x', [x], `x`): read past both.
    const bare = text.replace(/\/\*[\s\S]*?\*\/|--[^\n]*/g, ' ').replace(/["'`\[\]]/g, '');
    const match = /^PRAGMA\s+(?:\w+\s*\.\s*)?(\w+)\s*(=|\()/i.exec(bare);
    if (match && ENGINE_PRAGMAS.has(match[1]!.toLowerCase())) {
      return `setting PRAGMA ${match[1]!.toLowerCase()} is not allowed: the leader owns it`;
    }
  }
  return null;
}

/** Throws `STATEMENT_REFUSED` when one of `statements` may not run through the shared engine. */
export function checkAllowed(statements: readonly WireStatement[]): void {
  for (const statement of statements) {
    const reason = refusalReason(statement.sql);
    if (reason !== null) throw new StoreError('STATEMENT_REFUSED', reason);
  }
}
