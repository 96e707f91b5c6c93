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

test('three frames cut into two chunks at any byte decode the same, and nothing is left over', () => {
  const messages = [{ a: 1 }, 'two', { c: [3, 4] }];
  const bytes = Buffer.concat(messages.map((message) => encodeFrame(message)));
  for (let cut = 0; cut <= bytes.length; cut++) {
    const decoder = new FrameDecoder();
    const payloads = [...decoder.push(bytes.subarray(0, cut)), ...decoder.push(bytes.subarray(cut))];
    expect(payloads.map(decodePayload)).toEqual(messages);
    expect(decoder.pendingBytes).toBe(0);
  }
});

test('an oversized length prefix is refused after a partial frame too', () => {
  const decoder = new FrameDecoder(1024);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(1025, 0);
  expect(decoder.push(header.subarray(0, 2))).toEqual([]);
  expect(() => decoder.push(header.subarray(2))).toThrow(expect.objectContaining({ code: 'PROTOCOL_ERROR' }));
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

test('a bigint (an INTEGER) decodes as a bigint and a number (a REAL) as a number, whatever their magnitude', () => {
  const sent = {
    big: 2n ** 60n,
    small: 1n,
    neg: -(2n ** 63n),
    whole: 2,
    wide: 2 ** 40,
    max: Number.MAX_VALUE,
    fraction: 0.5,
  };
  const [payload] = new FrameDecoder().push(encodeFrame(sent));
  const received = decodePayload(payload!) as Record<string, unknown>;
  expect(received).toEqual(sent);
  for (const [key, value] of Object.entries(sent)) expect(typeof received[key]).toBe(typeof value);
});
