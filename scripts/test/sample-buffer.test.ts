import { SampleBuffer } from '../bench/sample-buffer';

describe('the load generator sample buffer', () => {
  test('keeps every value in order across growth, and take returns exactly those appended', () => {
    const buffer = new SampleBuffer();
    const values = Array.from({ length: 5000 }, (_, i) => i * 0.5);
    for (const value of values) buffer.push(value);
    expect(Array.from(buffer.take())).toEqual(values);
  });

  test('since returns the values from an index on, as the window keeps those after its opening', () => {
    const buffer = new SampleBuffer();
    for (let i = 0; i < 3000; i++) buffer.push(i);
    const opening = buffer.count;
    for (let i = 3000; i < 3005; i++) buffer.push(i);
    expect(opening).toBe(3000);
    expect(Array.from(buffer.since(opening))).toEqual([3000, 3001, 3002, 3003, 3004]);
    expect(buffer.since(buffer.count)).toHaveLength(0);
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
