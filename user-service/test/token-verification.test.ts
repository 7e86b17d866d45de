import assert from 'node:assert/strict';
import { createHmac, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import jwt, { type JwtPayload } from 'jsonwebtoken';
import { assertTestDatabaseName, request, startService, testInfra, type ServiceProcess } from '@oip/testkit';
import { ADMIN_EMAIL, ADMIN_PASSWORD, AUDIENCE, ISSUER, login, signingKey, signingKid, startGateway, startUserService } from './support';

/**
 * Every service checks tokens itself, because service ports are reachable in compose. Each forged
 * or spoiled token must be refused at the gateway, by user-service (NestJS, passport-jwt) and by
 * product-service (Express, the platform verifier), each straight on its own port.
 */
const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('Token verification at the gateway and at each service', () => {
  let users: ServiceProcess & { jwksUrl: string };
  let products: ServiceProcess;
  let gateway: ServiceProcess;
  let claims: JwtPayload;
  let validToken: string;

  before(async () => {
    users = await startUserService();
    const infra = testInfra();
    products = await startService('product-service', 'PRODUCT_SERVICE_PORT', {
      MONGO_URL: infra.mongoUrl,
      PRODUCT_DB_NAME: assertTestDatabaseName('products_test'),
      RABBITMQ_URL: infra.rabbitmqUrl,
      JWKS_URL: users.jwksUrl,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      LOG_LEVEL: 'warn',
    });
    gateway = await startGateway(users, { PRODUCT_SERVICE_URL: products.url });
    validToken = (await login(users.url, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).accessToken;
    const { iat: _iat, exp: _exp, ...rest } = jwt.decode(validToken) as JwtPayload;
    claims = rest;
  });

  after(async () => {
    await gateway?.stop();
    await products?.stop();
    await users?.stop();
  });

  /** One protected route per process; a valid admin token passes each (the product body is invalid on purpose: 400, nothing stored). */
  const targets = (token: string) => [
    { name: 'gateway', call: () => request('GET', `${gateway.url}/api/users/me`, { token }) },
    { name: 'user-service', call: () => request('GET', `${users.url}/users/me`, { token }) },
    { name: 'product-service', call: () => request('POST', `${products.url}/products`, { token, body: {} }) },
  ];

  it('When the token is valid, then each of them lets it through', async () => {
    const [viaGateway, viaUsers, viaProducts] = await Promise.all(targets(validToken).map((target) => target.call()));

    assert.equal(viaGateway?.status, 200);
    assert.equal(viaUsers?.status, 200);
    assert.equal(viaProducts?.status, 400);
  });

  const now = () => Math.floor(Date.now() / 1000);
  const forged: Record<string, () => string> = {
    'is signed by another key under the same kid': () => {
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      return jwt.sign(claims, other, { algorithm: 'RS256', keyid: signingKid, expiresIn: 300 });
    },
    'says alg none and has no signature': () => `${b64({ alg: 'none', typ: 'JWT', kid: signingKid })}.${b64({ ...claims, iat: now(), exp: now() + 600 })}.`,
    'is HS256 signed with the public key as the secret': () => {
      const publicPem = createPublicKey(signingKey).export({ type: 'spki', format: 'pem' }).toString();
      const unsigned = `${b64({ alg: 'HS256', typ: 'JWT', kid: signingKid })}.${b64({ ...claims, iat: now(), exp: now() + 600 })}`;
      return `${unsigned}.${createHmac('sha256', publicPem).update(unsigned).digest('base64url')}`;
    },
    'has expired': () => jwt.sign({ ...claims, iat: now() - 3600, exp: now() - 60 }, signingKey, { algorithm: 'RS256', keyid: signingKid }),
    'is for another audience': () => jwt.sign({ ...claims, aud: 'another-platform' }, signingKey, { algorithm: 'RS256', keyid: signingKid, expiresIn: 300 }),
    'comes from another issuer': () => jwt.sign({ ...claims, iss: 'http://evil.example' }, signingKey, { algorithm: 'RS256', keyid: signingKid, expiresIn: 300 }),
    'has no expiry (no exp claim)': () => jwt.sign({ ...claims, iat: now() }, signingKey, { algorithm: 'RS256', keyid: signingKid }),
    'has no issue time (no iat claim)': () => jwt.sign({ ...claims, exp: now() + 300 }, signingKey, { algorithm: 'RS256', keyid: signingKid, noTimestamp: true }),
    'lives longer than an access token may': () => jwt.sign(claims, signingKey, { algorithm: 'RS256', keyid: signingKid, expiresIn: 3600 }),
    'is garbage': () => 'not.a.token',
  };

  for (const [description, make] of Object.entries(forged)) {
    it(`When the token ${description}, then the gateway and each service answer 401 problem+json`, async () => {
      const token = make();

      for (const target of targets(token)) {
        const answer = await target.call();
        assert.equal(answer.status, 401, `${target.name}: ${JSON.stringify(answer.body)}`);
        assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/, target.name);
      }
    });
  }

  it('When no token is sent, then the gateway and each service answer 401', async () => {
    for (const target of targets('')) {
      assert.equal((await target.call()).status, 401, target.name);
    }
  });
});
