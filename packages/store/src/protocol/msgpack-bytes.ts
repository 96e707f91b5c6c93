/**
 * Byte templates for the two frames read and written by hand (`write-response.ts`,
 * `execute-request.ts`): the bytes msgpackr itself writes for their fixed parts.
 */

/** msgpack's short string `text` (ASCII, under 32 bytes): its length in the type byte, then its bytes. */
export function fixstr(text: string): number[] {
  return [0xa0 | text.length, ...Buffer.from(text, 'ascii')];
}

/** msgpack's map16 header: msgpackr writes every object's so, as it learns the key count after the keys. */
export function map16(keys: number): number[] {
  return [0xde, 0x00, keys];
}
