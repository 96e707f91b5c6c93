/** The shared "did you mean" hint. */
import { didYouMean } from '../src/did-you-mean';

test('a likely typo gets the closest known name, ignoring case and - versus _', () => {
  expect(didYouMean('syncronous', ['synchronous', 'name'])).toBe('synchronous');
  expect(didYouMean('REQUESTTIMEOUT', ['requestTimeoutMs', 'transactionTimeoutMs'])).toBe('requestTimeoutMs');
  expect(didYouMean('dispatch-in-gatway', ['dispatch_in_gateway', 'candidate'])).toBe('dispatch_in_gateway');
});

test('a name far from every known one gets no hint', () => {
  expect(didYouMean('foo', ['path', 'name', 'lock'])).toBeUndefined();
  expect(didYouMean('zzzzzzzzzzzz', ['requestTimeoutMs'])).toBeUndefined();
  expect(didYouMean('anything', [])).toBeUndefined();
});
