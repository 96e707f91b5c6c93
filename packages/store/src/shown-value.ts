/** How an error message shows a value it was given (an option, a field of a client's frame). */

/** The longest rendering of a value in an error message. */
const SHOWN_MAX_CHARS = 80;

/**
 * `value` as an error message shows it: JSON, with a bigint as `<n>n` (plain `JSON.stringify`
 * throws on one, which would turn a coded refusal into a TypeError), cut to a few dozen
 * characters.
 */
export function shown(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  return text.length > SHOWN_MAX_CHARS ? `${text.slice(0, SHOWN_MAX_CHARS)}...` : text;
}
