import { decodePayload, encodeFrame, FrameDecoder } from '../src/protocol/framing';
import { StoreError } from '../src/errors';

test('a frame split across many chunks is reassembled', () => {
  const decoder = new FrameDecoder();
  const bytes = Buffer.concat([encodeFrame({ a: 1 }), encodeFrame({ b: 'two' })]);
  const payloads: Buffer[] = [];
  for (const byte of bytes) payloads.push(...decoder.push(Buffer.from([byte])));
  expect(payloads.map(decodePayload)).toEqual([{ a: 1 }, { b: 'two' }]);
  expect(decoder.pendingBytes).toBe(0);
});

test('several frames in one chunk all come out, the partial tail is kept', () => {
  const decoder = new FrameDecoder();
  const third = encodeFrame({ c: 3 });
  const chunk = Buffer.concat([encodeFrame(1), encodeFrame(2), third.subarray(0, 3)]);
  expect(decoder.push(chunk).map(decodePayload)).toEqual([1, 2]);
  expect(decoder.push(third.subarray(3)).map(decodePayload)).toEqual([{ c: 3 }]);
});

test('an oversized length prefix is refused before its body arrives', () => {
  const decoder = new FrameDecoder(1024);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(1025, 0);
  expect(() => decoder.push(header)).toThrow(expect.objectContaining({ code: 'PROTOCOL_ERROR' }));
});

test('a payload that is not one whole msgpack value is a PROTOCOL_ERROR', () => {
  expect(() => decodePayload(Buffer.from([0x92, 0x01]))).toThrow(StoreError); // array of 2, one element
  expect(() => decodePayload(Buffer.from([0x01, 0x02]))).toThrow(StoreError); // trailing bytes
});

test('integers beyond 2^53 decode as bigint, smaller ones as numbers', () => {
  const [payload] = new FrameDecoder().push(encodeFrame({ big: 2n ** 60n, small: 2n ** 40n, neg: -(2n ** 63n) }));
  expect(decodePayload(payload!)).toEqual({ big: 2n ** 60n, small: 2 ** 40, neg: -(2n ** 63n) });
});
