/**
 * What Baton needs to know about SQL text without parsing it: where one statement of a script
 * ends (SQLite's own `sqlite3_complete` rules, so a trigger body's semicolons stay inside its
 * statement) and whether a statement is transaction control, which the leader owns.
 */

/** Transaction control statements, by what they do. */
export type TransactionControl = 'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollback-to';

/** Skips what SQLite skips before a statement: white space, comments and empty statements (`;`). */
export function stripLeading(sql: string): string {
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

/** The first keyword of a statement already stripped by `stripLeading`, upper-cased, or undefined. */
export function firstKeyword(text: string): string | undefined {
  return /^[A-Za-z]+/.exec(text)?.[0]?.toUpperCase();
}

/**
 * Classifies a statement that controls transactions; null for any other. `ROLLBACK TO` (with
 * or without `TRANSACTION` and `SAVEPOINT`) only undoes to a savepoint and keeps the
 * transaction, unlike `ROLLBACK`.
 */
export function transactionControl(sql: string): TransactionControl | null {
  const text = stripLeading(sql);
  return controlOf(text, firstKeyword(text));
}

/** `transactionControl` of a statement already stripped, whose first keyword is known. */
export function controlOf(text: string, keyword: string | undefined): TransactionControl | null {
  switch (keyword) {
    case 'BEGIN':
      return 'begin';
    case 'COMMIT':
    case 'END':
      return 'commit';
    case 'SAVEPOINT':
      return 'savepoint';
    case 'RELEASE':
      return 'release';
    case 'ROLLBACK': {
      const words = text
        .replace(/\/\*[\s\S]*?\*\/|--[^\n]*/g, ' ')
        .split(/[\s;]+/)
        .map((word) => word.toUpperCase());
      const next = words[1] === 'TRANSACTION' ? words[2] : words[1];
      return next === 'TO' ? 'rollback-to' : 'rollback';
    }
    default:
      return null;
  }
}

// The token classes and state machine of SQLite's sqlite3_complete() (src/complete.c).
const SEMI = 0;
const WS = 1;
const OTHER = 2;
const EXPLAIN = 3;
const CREATE = 4;
const TEMP = 5;
const TRIGGER = 6;
const END = 7;
/** TRANSITIONS[state][token]: states 0 INVALID, 1 START, 2 NORMAL, 3 EXPLAIN, 4 CREATE, 5 TRIGGER, 6 SEMI, 7 END. */
const TRANSITIONS: readonly (readonly number[])[] = [
  [1, 0, 2, 3, 4, 2, 2, 2],
  [1, 1, 2, 3, 4, 2, 2, 2],
  [1, 2, 2, 2, 2, 2, 2, 2],
  [1, 3, 3, 2, 4, 2, 2, 2],
  [1, 4, 2, 2, 2, 4, 5, 2],
  [6, 5, 5, 5, 5, 5, 5, 5],
  [6, 6, 5, 5, 5, 5, 5, 7],
  [1, 7, 5, 5, 5, 5, 5, 5],
];
const KEYWORDS: Readonly<Record<string, number>> = { EXPLAIN, CREATE, TEMP, TEMPORARY: TEMP, TRIGGER, END };
const QUOTE_CLOSERS: Readonly<Record<string, string>> = { "'": "'", '"': '"', '`': '`', '[': ']' };

/**
 * Splits a script into its statements, as `sqlite3_exec` would run them: a statement ends at a
 * semicolon outside quotes and comments, unless it is inside a `CREATE TRIGGER ... END` body.
 * Empty statements are dropped; each statement keeps its text without the final semicolon.
 * An unterminated last statement is kept (SQLite runs it too); an unterminated quote or
 * comment leaves the rest in the last statement, for SQLite to report.
 */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let state = 0;
  let start = 0;
  let i = 0;
  const n = script.length;
  const push = (end: number): void => {
    const text = script.slice(start, end);
    if (stripLeading(text) !== '') statements.push(text);
  };
  while (i < n) {
    const c = script[i]!;
    let token: number;
    if (c === ';') {
      token = SEMI;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      token = WS;
      i++;
    } else if (c === '-' && script[i + 1] === '-') {
      const end = script.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
      token = WS;
    } else if (c === '/' && script[i + 1] === '*') {
      const end = script.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      token = WS;
    } else if (c in QUOTE_CLOSERS) {
      const end = script.indexOf(QUOTE_CLOSERS[c]!, i + 1);
      i = end < 0 ? n : end + 1;
      token = OTHER;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let end = i + 1;
      while (end < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(script[end]!)) end++;
      token = KEYWORDS[script.slice(i, end).toUpperCase()] ?? OTHER;
      i = end;
    } else {
      token = OTHER;
      i++;
    }
    state = TRANSITIONS[state]![token]!;
    if (token === SEMI && state === 1) {
      push(i - 1);
      start = i;
    }
  }
  push(n);
  return statements;
}
