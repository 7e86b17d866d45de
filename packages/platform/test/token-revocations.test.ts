import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, TokenPolicy, TokenRevocations } from '../src';

const at = (seconds: number) => new Date(seconds * 1000).toISOString();

describe('TokenRevocations and TokenPolicy', () => {
  it('When a subject is revoked, then its tokens issued before the instant are refused and later ones pass', () => {
    const revocations = new TokenRevocations(360, () => 1_000_000 * 1000);
    revocations.load([{ userId: 'ann', tokensValidAfter: at(1_000_000) }]);

    assert.equal(revocations.isRevoked('ann', 999_999), true);
    assert.equal(revocations.isRevoked('ann', 1_000_000), false);
    assert.equal(revocations.isRevoked('bob', 999_999), false);
  });

  it('When revocations arrive out of order, then the latest instant wins', () => {
    const revocations = new TokenRevocations(360, () => 1_000_000 * 1000);
    revocations.add({ userId: 'ann', tokensValidAfter: at(1_000_010) });
    revocations.add({ userId: 'ann', tokensValidAfter: at(1_000_000) });

    assert.equal(revocations.isRevoked('ann', 1_000_005), true);
  });

  it('When an entry is older than the retention, then it is dropped (every token it concerned has expired)', () => {
    let now = 1_000_000;
    const revocations = new TokenRevocations(360, () => now * 1000);
    revocations.add({ userId: 'ann', tokensValidAfter: at(now) });
    now += 361;
    revocations.add({ userId: 'bob', tokensValidAfter: at(now) });

    assert.equal(revocations.size, 1);
  });

  it('When the policy checks a token, then one without exp or iat, one living too long, and one before the list is loaded are refused', () => {
    const revocations = new TokenRevocations(360);
    const policy = new TokenPolicy(revocations, 300);
    const code = (payload: object) => {
      try {
        policy.check(payload);
        return 'accepted';
      } catch (error) {
        return error instanceof AppError ? error.code : 'thrown';
      }
    };

    assert.equal(code({ sub: 'ann', iat: 100, exp: 400 }), 'AUTH.REVOCATIONS_UNAVAILABLE');
    revocations.load([]);
    assert.equal(code({ sub: 'ann', iat: 100 }), 'AUTH.INVALID_TOKEN');
    assert.equal(code({ sub: 'ann', exp: 400 }), 'AUTH.INVALID_TOKEN');
    assert.equal(code({ sub: 'ann', iat: 100, exp: 401 }), 'AUTH.INVALID_TOKEN');
    assert.equal(code({ sub: 'ann', iat: 100, exp: 400 }), 'accepted');
  });
});
