import { LoadMeter } from '../src/leader/load-meter';

test('an idle meter reports zeros', () => {
  expect(new LoadMeter().snapshot()).toEqual({ writesPerSec: 0, readsPerSec: 0, p50Ms: 0, p99Ms: 0, avgGroupSize: 0 });
});

test('percentiles come from the recorded latencies, within the histogram resolution', () => {
  const meter = new LoadMeter();
  meter.commitGroup(
    Array.from({ length: 98 }, () => ({ receivedAt: 10 })),
    11,
  );
  meter.read(100);
  meter.read(100);
  const snapshot = meter.snapshot();
  expect(snapshot.p50Ms).toBeGreaterThanOrEqual(1);
  expect(snapshot.p50Ms).toBeLessThan(1.3);
  expect(snapshot.p99Ms).toBeGreaterThanOrEqual(100);
  expect(snapshot.p99Ms).toBeLessThan(130);
  expect(snapshot.writesPerSec).toBeGreaterThan(0);
});

test('the average group size is writes per commit', () => {
  const meter = new LoadMeter();
  meter.commitGroup(
    Array.from({ length: 7 }, () => ({ receivedAt: 0 })),
    1,
  );
  meter.commitGroup([{ receivedAt: 0 }], 1);
  expect(meter.snapshot().avgGroupSize).toBe(4);
});
