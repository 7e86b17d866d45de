import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import jwt, { type JwtPayload } from 'jsonwebtoken';
import { request, type JsonResponse, type RequestOptions, type ServiceProcess } from '@oip/testkit';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  AUDIENCE,
  clientAddress,
  fromAddress,
  ISSUER,
  purgeNotificationQueue,
  signingKid,
  startGateway,
  startUserService,
  uniqueEmail,
  type TokenPair,
} from './support';

describe('Identity: register, login, tokens and accounts', () => {
  let users: ServiceProcess & { jwksUrl: string };
  let gateway: ServiceProcess;
  let api: string;
  let adminToken: string;
  /** Every password this suite sent, and every response body it got, for the leak check at the end. */
  const passwords: string[] = [ADMIN_PASSWORD];
  const bodies: string[] = [];

  async function call<T = Record<string, unknown>>(method: string, url: string, options: RequestOptions = {}): Promise<JsonResponse<T>> {
    const answer = await request<T>(method, url, options);
    bodies.push(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? ''));
    return answer;
  }

  async function newAccount(prefix = 'user'): Promise<{ id: string; email: string; password: string }> {
    const email = uniqueEmail(prefix);
    const password = `pw-${randomUUID()}`;
    passwords.push(password);
    const answer = await call<{ id: string }>('POST', `${api}/auth/register`, { body: { email, password, name: 'Test User' } });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    return { id: answer.body.id, email, password };
  }

  async function loginAs(account: { email: string; password: string }): Promise<TokenPair> {
    const answer = await call<TokenPair>('POST', `${api}/auth/login`, { body: { email: account.email, password: account.password }, headers: fromAddress(clientAddress()) });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  }

  before(async () => {
    users = await startUserService({ LOGIN_THROTTLE_MAX_PER_IP: '10' });
    // The test plays the load balancer in front of the gateway, so each test can be a client of its own.
    gateway = await startGateway(users, { TRUSTED_PROXIES: 'loopback' });
    api = `${gateway.url}/api`;
    adminToken = (await loginAs({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).accessToken;
  });

  after(async () => {
    await gateway?.stop();
    await users?.stop();
    await purgeNotificationQueue();
  });

  it('When a user registers, logs in, reads /me, refreshes and logs out through the gateway, then each step answers as designed', async () => {
    const email = uniqueEmail('Flow').replace('flow', 'FLOW');
    const password = `pw-${randomUUID()}`;
    passwords.push(password);

    const registered = await call<Record<string, unknown>>('POST', `${api}/auth/register`, { body: { email, password, name: 'Ann' } });
    assert.equal(registered.status, 201);
    assert.equal(registered.body['email'], email.toLowerCase());
    assert.deepEqual(Object.keys(registered.body).sort(), ['active', 'email', 'id', 'name', 'roles']);
    assert.deepEqual(registered.body['roles'], ['user']);
    assert.ok(registered.headers.get('x-request-id'));

    const tokens = await call<TokenPair>('POST', `${api}/auth/login`, { body: { email, password }, headers: fromAddress(clientAddress()) });
    assert.equal(tokens.status, 200);
    assert.equal(tokens.body.tokenType, 'Bearer');
    assert.equal(tokens.body.expiresIn, 300);
    const decoded = jwt.decode(tokens.body.accessToken, { complete: true });
    assert.equal(decoded?.header.alg, 'RS256');
    assert.equal(decoded?.header.kid, signingKid);
    const claims = decoded?.payload as JwtPayload;
    assert.equal(claims.sub, registered.body['id']);
    assert.equal(claims['email'], email.toLowerCase());
    assert.deepEqual(claims['roles'], ['user']);
    assert.equal(claims.iss, ISSUER);
    assert.equal(claims.aud, AUDIENCE);
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 300);

    const me = await call('GET', `${api}/users/me`, { token: tokens.body.accessToken });
    assert.equal(me.status, 200);
    assert.deepEqual({ ...me.body, active: undefined }, { ...registered.body, active: undefined });

    const refreshed = await call<TokenPair>('POST', `${api}/auth/refresh`, { body: { refreshToken: tokens.body.refreshToken } });
    assert.equal(refreshed.status, 200);
    assert.notEqual(refreshed.body.refreshToken, tokens.body.refreshToken);
    assert.equal((await call('GET', `${api}/users/me`, { token: refreshed.body.accessToken })).status, 200);

    const loggedOut = await call('POST', `${api}/auth/logout`, { token: refreshed.body.accessToken, body: { refreshToken: refreshed.body.refreshToken } });
    assert.equal(loggedOut.status, 204);

    const afterLogout = await call('POST', `${api}/auth/refresh`, { body: { refreshToken: refreshed.body.refreshToken } });
    assert.equal(afterLogout.status, 401);
    assert.equal(afterLogout.body['code'], 'AUTH.INVALID_REFRESH_TOKEN');
  });

  it('When an e-mail is registered again in another case, then the answer is 409 USER.EMAIL_TAKEN', async () => {
    const account = await newAccount('dup');

    const again = await call('POST', `${api}/auth/register`, { body: { email: account.email.toUpperCase(), password: 'another-password', name: 'Other' } });

    assert.equal(again.status, 409);
    assert.match(again.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(again.body['code'], 'USER.EMAIL_TAKEN');
  });

  it('When registration input is invalid, then the answer is 400 with a message per field', async () => {
    passwords.push('Sh0rt!x');

    const answer = await call<{ code: string; errors: Record<string, string> }>('POST', `${api}/auth/register`, {
      body: { email: 'not-an-email', password: 'Sh0rt!x', isAdmin: true },
    });

    assert.equal(answer.status, 400);
    assert.equal(answer.body.code, 'REQUEST.INVALID');
    assert.deepEqual(Object.keys(answer.body.errors).sort(), ['email', 'isAdmin', 'name', 'password']);
    const missingPassword = await call<{ errors: Record<string, string> }>('POST', `${api}/auth/register`, { body: { email: uniqueEmail(), name: 'Ann' } });
    assert.equal(missingPassword.status, 400);
    assert.ok(missingPassword.body.errors['password']);
  });

  it('When the password is wrong or the e-mail unknown, then both answer the same 401', async () => {
    const account = await newAccount('wrong');
    const ip = clientAddress();

    const wrongPassword = await call('POST', `${api}/auth/login`, { body: { email: account.email, password: 'not-the-password' }, headers: fromAddress(ip) });
    const unknownEmail = await call('POST', `${api}/auth/login`, { body: { email: uniqueEmail('nobody'), password: 'not-the-password' }, headers: fromAddress(ip) });

    assert.equal(wrongPassword.status, 401);
    assert.deepEqual({ ...wrongPassword.body, instance: undefined }, { ...unknownEmail.body, instance: undefined });
  });

  it('When a refresh token is used a second time, then its whole family is revoked', async () => {
    const account = await newAccount('reuse');
    const first = await loginAs(account);
    const second = await call<TokenPair>('POST', `${api}/auth/refresh`, { body: { refreshToken: first.refreshToken } });
    assert.equal(second.status, 200);

    const reuse = await call('POST', `${api}/auth/refresh`, { body: { refreshToken: first.refreshToken } });
    const latest = await call('POST', `${api}/auth/refresh`, { body: { refreshToken: second.body.refreshToken } });

    assert.equal(reuse.status, 401);
    assert.equal(reuse.body['code'], 'AUTH.REFRESH_TOKEN_REUSED');
    assert.equal(latest.status, 401);
    // Another session of the same user is not part of the family and still works.
    const other = await loginAs(account);
    assert.equal((await call('POST', `${api}/auth/refresh`, { body: { refreshToken: other.refreshToken } })).status, 200);
  });

  it('When a user token calls admin routes, then each answers 403, at the gateway and at the service', async () => {
    const account = await newAccount('plain');
    const { accessToken } = await loginAs(account);

    for (const base of [api, users.url]) {
      const list = await call('GET', `${base}/users`, { token: accessToken });
      const roles = await call('PUT', `${base}/users/${account.id}/roles`, { token: accessToken, body: { roles: ['admin'] } });
      const deactivate = await call('POST', `${base}/users/${account.id}/deactivate`, { token: accessToken });
      for (const answer of [list, roles, deactivate]) {
        assert.equal(answer.status, 403, base);
        assert.equal(answer.body['code'], 'AUTH.FORBIDDEN');
      }
    }
  });

  it('When an admin deactivates a user, then the user can neither refresh nor log in', async () => {
    const account = await newAccount('deact');
    const tokens = await loginAs(account);

    const deactivated = await call('POST', `${api}/users/${account.id}/deactivate`, { token: adminToken });
    assert.equal(deactivated.status, 200);
    assert.equal(deactivated.body['active'], false);

    const refresh = await call('POST', `${api}/auth/refresh`, { body: { refreshToken: tokens.refreshToken } });
    const loginAgain = await call('POST', `${api}/auth/login`, { body: { email: account.email, password: account.password }, headers: fromAddress(clientAddress()) });
    assert.equal(refresh.status, 401);
    assert.equal(loginAgain.status, 401);
    assert.equal((await call('GET', `${api}/users/me`, { token: tokens.accessToken })).status, 401);
  });

  it('When an admin pages through users and sets roles, then limits are capped and only known roles are taken', async () => {
    const account = await newAccount('roles');

    const page = await call<{ items: Array<Record<string, unknown>>; page: number; limit: number; total: number }>('GET', `${api}/users?page=1&limit=500`, { token: adminToken });
    assert.equal(page.status, 200);
    assert.equal(page.body.limit, 100);
    assert.equal(page.body.page, 1);
    assert.ok(page.body.total >= page.body.items.length && page.body.items.length > 0);
    for (const item of page.body.items) assert.deepEqual(Object.keys(item).sort(), ['active', 'email', 'id', 'name', 'roles']);

    const unknownRole = await call<{ errors: Record<string, string> }>('PUT', `${api}/users/${account.id}/roles`, { token: adminToken, body: { roles: ['superuser'] } });
    assert.equal(unknownRole.status, 400);
    assert.ok(unknownRole.body.errors['roles']);
    assert.equal((await call('PUT', `${api}/users/${randomUUID()}/roles`, { token: adminToken, body: { roles: ['user'] } })).status, 404);

    const promoted = await call('PUT', `${api}/users/${account.id}/roles`, { token: adminToken, body: { roles: ['admin', 'user'] } });
    assert.equal(promoted.status, 200);
    const claims = jwt.decode((await loginAs(account)).accessToken) as JwtPayload;
    assert.deepEqual(claims['roles'], ['admin', 'user']);
  });

  it('When one address keeps failing against many accounts, then that address gets 429 and others do not', async () => {
    const ip = clientAddress().replace('198.51.100', '203.0.113');
    const account = await newAccount('victim');
    for (let attempt = 0; attempt < 10; attempt += 1) {
      await call('POST', `${api}/auth/login`, { body: { email: uniqueEmail('spray'), password: 'guess-guess' }, headers: fromAddress(ip) });
    }

    const blocked = await call('POST', `${api}/auth/login`, { body: { email: account.email, password: account.password }, headers: fromAddress(ip) });
    const elsewhere = await call('POST', `${api}/auth/login`, { body: { email: account.email, password: account.password }, headers: fromAddress(clientAddress()) });

    assert.equal(blocked.status, 429);
    assert.equal(elsewhere.status, 200);
  });

  it('When everything above has run, then no response and no log line contains a password or a bcrypt hash', () => {
    const logs = `${users.output()}\n${gateway.output()}`;

    assert.ok(bodies.length > 30);
    assert.ok(logs.includes('"msg":"user registered"'), 'the service logged at info level');
    for (const text of [...bodies, logs]) {
      assert.doesNotMatch(text, /\$2[aby]\$/);
      for (const password of passwords) assert.ok(!text.includes(password), `a password appeared in: ${text.slice(0, 200)}`);
    }
  });
});
