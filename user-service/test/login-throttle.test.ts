import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { JsonResponse, ServiceProcess } from '@oip/testkit';
import { loopbackHost, purgeNotificationQueue, requestFrom, startGateway, startUserService, uniqueEmail } from './support';

/**
 * Who a client is, and how often it may try a password. Each client connects from a loopback
 * address of its own (see loopbackHost); user-service trusts only the gateway's (127.0.0.1), the
 * gateway trusts nobody's X-Forwarded-For (its default).
 */
const MAX_PER_ACCOUNT = 5;
const MAX_PER_IP = 12;
const RATE_LIMIT = 20;
const DELAY_MS = 300;

describe('Login throttling and the client address', () => {
  let users: ServiceProcess & { jwksUrl: string };
  let gateway: ServiceProcess;
  let api: string;

  before(async () => {
    users = await startUserService({
      TRUSTED_PROXIES: '127.0.0.1',
      LOGIN_THROTTLE_MAX_PER_ACCOUNT: String(MAX_PER_ACCOUNT),
      LOGIN_THROTTLE_MAX_PER_IP: String(MAX_PER_IP),
      LOGIN_THROTTLE_DELAY_MS: String(DELAY_MS),
      LOGIN_THROTTLE_MAX_DELAY_MS: String(4 * DELAY_MS),
    });
    gateway = await startGateway(users, { RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT) });
    api = `${gateway.url}/api`;
  });

  after(async () => {
    await gateway?.stop();
    await users?.stop();
    await purgeNotificationQueue();
  });

  const spoofed = (): Record<string, string> => ({ 'x-forwarded-for': loopbackHost().replace(/^127\./, '203.') });
  const wrongLogin = (source: string, base: string, email = uniqueEmail('spray'), headers: Record<string, string> = {}) =>
    requestFrom(source, 'POST', `${base}/auth/login`, { body: { email, password: 'not-the-password' }, headers });

  async function register(): Promise<{ email: string; password: string }> {
    const email = uniqueEmail('owner');
    const password = `pw-${randomUUID()}`;
    const answer = await requestFrom(loopbackHost(), 'POST', `${api}/auth/register`, { body: { email, password, name: 'Owner' } });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    return { email, password };
  }

  function assertThrottled(answer: JsonResponse): void {
    assert.equal(answer.status, 429, JSON.stringify(answer.body));
    assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(answer.body['code'], 'AUTH.TOO_MANY_ATTEMPTS');
    const retryAfter = Number(answer.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 900, `Retry-After: ${answer.headers.get('retry-after')}`);
  }

  it('When a client rotates X-Forwarded-For through the gateway, then the rate limit still counts it as one client', async () => {
    const client = loopbackHost();

    const statuses: number[] = [];
    for (let call = 0; call < RATE_LIMIT + 3; call += 1) {
      statuses.push((await requestFrom(client, 'GET', `${api}/products`, { headers: spoofed() })).status);
    }

    assert.deepEqual(statuses.slice(RATE_LIMIT), [429, 429, 429], statuses.join(' '));
    assert.equal((await requestFrom(loopbackHost(), 'GET', `${api}/products`)).status === 429, false, 'another client is not limited');
  });

  it('When a client rotates X-Forwarded-For through the gateway, then user-service limits the failed logins of its one address', async () => {
    const client = loopbackHost();
    for (let attempt = 0; attempt < MAX_PER_IP; attempt += 1) {
      assert.equal((await wrongLogin(client, api, uniqueEmail('spray'), spoofed())).status, 401);
    }

    const refused = await wrongLogin(client, api, uniqueEmail('spray'), spoofed());
    const otherClient = await wrongLogin(loopbackHost(), api);

    assertThrottled(refused);
    assert.equal(otherClient.status, 401, 'the gateway forwards each client its own address');
  });

  it('When a host that is not a trusted proxy sends X-Forwarded-For straight to user-service, then its own address is limited', async () => {
    const host = loopbackHost();
    for (let attempt = 0; attempt < MAX_PER_IP; attempt += 1) {
      assert.equal((await wrongLogin(host, users.url, uniqueEmail('direct'), spoofed())).status, 401);
    }

    assertThrottled(await wrongLogin(host, users.url, uniqueEmail('direct'), spoofed()));
  });

  it('When 30 wrong passwords for one account arrive at once from one address, then only the limit is checked and the rest get 429', async () => {
    const account = await register();
    const guesser = loopbackHost();

    const answers = await Promise.all(Array.from({ length: 30 }, () => wrongLogin(guesser, users.url, account.email)));

    const checked = answers.filter((answer) => answer.status === 401).length;
    assert.equal(checked, MAX_PER_ACCOUNT, `${checked} of 30 passwords were checked`);
    for (const answer of answers.filter((each) => each.status !== 401)) assertThrottled(answer);
  });

  it('When a stranger keeps failing on an account from one address, then the owner still logs in from another, only slowed', async () => {
    const account = await register();
    const stranger = loopbackHost();
    for (let attempt = 0; attempt < MAX_PER_ACCOUNT; attempt += 1) {
      assert.equal((await wrongLogin(stranger, api, account.email)).status, 401);
    }
    const strangerAgain = await wrongLogin(stranger, api, account.email);

    const started = Date.now();
    const owner = await requestFrom<{ accessToken?: string }>(loopbackHost(), 'POST', `${api}/auth/login`, { body: account });
    const tookMs = Date.now() - started;

    assert.equal(owner.status, 200, JSON.stringify(owner.body));
    assert.ok(owner.body.accessToken);
    assert.ok(tookMs >= DELAY_MS, `the owner was not slowed (${tookMs} ms)`);
    assertThrottled(strangerAgain);
  });
});
