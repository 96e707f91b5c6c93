import { throughputOrder, type ThroughputCase } from '../bench/scenarios/throughput';

const writes: ThroughputCase = {
  scenario: 'writes',
  sync: 'normal',
  members: 7,
  inflight: 1,
  readFraction: 0,
  flushMs: 0,
};
const mixed: ThroughputCase = { ...writes, scenario: 'mixed', readFraction: 0.8 };

describe('the order the systems of a case run in', () => {
  test('each system runs once in every place over as many rounds as there are systems', () => {
    for (const c of [writes, mixed]) {
      const first = throughputOrder(c, 1);
      const rounds = first.map((_, index) => throughputOrder(c, index + 1));
      for (const order of rounds) expect([...order].sort()).toEqual([...first].sort());
      for (let place = 0; place < first.length; place++)
        expect(new Set(rounds.map((order) => order[place])).size).toBe(first.length);
    }
  });

  test('the first round runs Baton first, and the order repeats after a full turn', () => {
    expect(throughputOrder(writes, 1)).toEqual(['baton', 'minimal', 'direct']);
    expect(throughputOrder(writes, 2)).toEqual(['minimal', 'direct', 'baton']);
    expect(throughputOrder(writes, 4)).toEqual(throughputOrder(writes, 1));
  });
});
