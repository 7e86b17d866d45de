import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accountDelayMs, throttleVerdict, type ThrottleCounts } from '../src/auth/login-throttle.policy';

const limits = { maxPerAccount: 5, maxPerAddress: 50, delayMs: 250, maxDelayMs: 4000 };
const counts = (pair: number, address: number, accountFailures: number): ThrottleCounts => ({
  pair: { count: pair, retryAfterSeconds: 600 },
  address: { count: address, retryAfterSeconds: 120 },
  accountFailures,
});

describe('login throttle policy', () => {
  it('When an attempt is within both limits, then it is allowed', () => {
    assert.deepEqual(throttleVerdict(counts(5, 50, 0), limits), { allowed: true, delayMs: 0 });
  });

  it('When the pair or the address is past its limit, then it is refused until the later window ends', () => {
    assert.deepEqual(throttleVerdict(counts(6, 1, 0), limits), { allowed: false, retryAfterSeconds: 600 });
    assert.deepEqual(throttleVerdict(counts(1, 51, 0), limits), { allowed: false, retryAfterSeconds: 120 });
    assert.deepEqual(throttleVerdict(counts(6, 51, 0), limits), { allowed: false, retryAfterSeconds: 600 });
  });

  it('When an account has many failures from anywhere, then its logins are slowed, never refused, by a bounded doubling delay', () => {
    assert.deepEqual([4, 5, 6, 7, 8, 9, 1000].map((failures) => accountDelayMs(failures, limits)), [0, 250, 500, 1000, 2000, 4000, 4000]);
    assert.deepEqual(throttleVerdict(counts(1, 1, 1000), limits), { allowed: true, delayMs: 4000 });
  });
});
