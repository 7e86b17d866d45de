import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import jwt from 'jsonwebtoken';
import { request, type ServiceProcess } from '@oip/testkit';
import { ADMIN_EMAIL, ADMIN_PASSWORD, AUDIENCE, ISSUER, login, purgeNotificationQueue, register, signingKey, signingKid, startUserService, type Account } from './support';

/**
 * User administration trusts the database, not the token: a token's roles are as old as the token.
 * The tokens here are signed with the service's own key and issued after any revocation of their
 * subject, so only the read of the caller's current roles and active flag can refuse them.
 */
describe('User administration by the caller\'s current roles', () => {
  let users: ServiceProcess & { jwksUrl: string };
  let adminToken: string;

  /** A valid token for `account` that claims `roles`, issued now (or `iat` when given). */
  const tokenClaiming = (account: Account, roles: string[], iat?: number): string =>
    jwt.sign({ email: account.email, roles, ...(iat === undefined ? {} : { iat }) }, signingKey, { algorithm: 'RS256', keyid: signingKid, subject: account.id, issuer: ISSUER, audience: AUDIENCE, expiresIn: 300 });

  before(async () => {
    users = await startUserService();
    adminToken = (await login(users.url, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).accessToken;
  });

  after(async () => {
    await users?.stop();
    await purgeNotificationQueue();
  });

  it('When a token says admin but the account is not, then setting roles and listing users answer 403 and nothing changes', async () => {
    const account = await register(users.url);
    const token = tokenClaiming(account, ['admin', 'user']);

    const promote = await request('PUT', `${users.url}/users/${account.id}/roles`, { token, body: { roles: ['admin', 'user'] } });
    const list = await request('GET', `${users.url}/users`, { token });
    const deactivateOther = await request('POST', `${users.url}/users/${account.id}/deactivate`, { token });

    assert.equal(promote.status, 403, JSON.stringify(promote.body));
    assert.equal(list.status, 403);
    assert.equal(deactivateOther.status, 403);
    const me = await request<{ roles: string[]; active: boolean }>('GET', `${users.url}/users/me`, { token });
    assert.deepEqual(me.body.roles, ['user']);
    assert.equal(me.body.active, true);
  });

  it('When an admin account is deactivated, then a token it still holds cannot administer users', async () => {
    const account = await register(users.url);
    assert.equal((await request('PUT', `${users.url}/users/${account.id}/roles`, { token: adminToken, body: { roles: ['admin', 'user'] } })).status, 200);
    assert.equal((await request('POST', `${users.url}/users/${account.id}/deactivate`, { token: adminToken })).status, 200);
    // Dated at the next second, past the revocation instant, so only the active flag can stop it.
    const token = tokenClaiming(account, ['admin', 'user'], Math.floor(Date.now() / 1000) + 1);

    const list = await request<{ code: string }>('GET', `${users.url}/users`, { token });

    assert.equal(list.status, 401, JSON.stringify(list.body));
  });
});
