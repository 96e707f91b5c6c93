/** The clients the differential suite compares are what its test names say they are. */
import { removeTempDirs } from '../helpers/temp';
import { BATON_FORWARDING, BATON_LEADER, closeAll } from './backends';

afterEach(async () => {
  await closeAll();
  removeTempDirs();
});

test('one Baton backend hosts the leader, the other forwards to a leader hosted by another member', async () => {
  expect((await BATON_LEADER.open('number')).role?.()).toBe('leader');
  expect((await BATON_FORWARDING.open('number')).role?.()).toBe('follower');
});
