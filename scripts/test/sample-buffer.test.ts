import { SampleBuffer } from '../bench/sample-buffer';

describe('the load generator sample buffer', () => {
  test('keeps every value in order across growth, and take returns exactly those appended', () => {
    const buffer = new SampleBuffer();
    const values = Array.from({ length: 5000 }, (_, i) => i * 0.5);
    for (const value of values) buffer.push(value);
    expect(Array.from(buffer.take())).toEqual(values);
  });

  test('take starts afresh: the next take holds only what came after', () => {
    const buffer = new SampleBuffer();
    buffer.push(1.25);
    buffer.push(2.5);
    expect(Array.from(buffer.take())).toEqual([1.25, 2.5]);
    expect(buffer.take()).toHaveLength(0);
    buffer.push(7);
    expect(Array.from(buffer.take())).toEqual([7]);
  });
});
