/** The clients the differential suite compares are what its test names say they are. */
import { removeTempDirs } from '../helpers/temp';
import { BATON_FORWARDING, BATON_LEADER, BATON_LOCAL_READS, closeAll, localReadsServed } from './backends';

afterEach(async () => {
  await closeAll();
  removeTempDirs();
});

test('one Baton backend hosts the leader, the other forwards to a leader hosted by another member', async () => {
  expect((await BATON_LEADER.open('number')).role?.()).toBe('leader');
  expect((await BATON_FORWARDING.open('number')).role?.()).toBe('follower');
});

test('the local-read backend forwards to a leader hosted by another member and serves its standalone reads itself', async () => {
  const { client, role } = await BATON_LOCAL_READS.open('number');
  expect(role?.()).toBe('follower');
  await client.execute('CREATE TABLE t (x INTEGER)');
  await client.execute('INSERT INTO t VALUES (1)');
  expect((await client.execute('SELECT x FROM t')).rows.map((r) => r.x)).toEqual([1]);
  await closeAll();
  expect(localReadsServed()).toBe(1);
});
