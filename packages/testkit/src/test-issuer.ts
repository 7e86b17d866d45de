import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import jwt from 'jsonwebtoken';

/**
 * A token issuer for suites that test one service on its own: an RS256 key pair and a JWKS served
 * on a local port, shaped like user-service's. The services verify tokens exactly as in
 * production (JWKS over HTTP, iss, aud, exp); the identity flows themselves are tested against
 * the real user-service in its own suites.
 */
export interface TestIssuer {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** The env a service needs to trust this issuer (tokens live 300 s, the platform's maximum). */
  env: Record<string, string>;
  token(claims: { sub?: string; email?: string; roles?: string[] }, options?: { expiresInSeconds?: number }): string;
  admin(): string;
  user(id?: string): string;
  close(): Promise<void>;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `test-${randomUUID().slice(0, 8)}`;
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  const server: Server = createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    // Verifiers load the recent revocations beside the JWKS before they accept any token.
    else if (req.url === '/.well-known/token-revocations.json') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ revocations: [] }));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const jwksUrl = `http://127.0.0.1:${port}/.well-known/jwks.json`;
  const issuer = 'http://user-service';
  const audience = 'order-inventory-platform';
  const token: TestIssuer['token'] = (claims, options = {}) =>
    jwt.sign(
      { email: claims.email ?? `${claims.sub ?? 'someone'}@example.com`, roles: claims.roles ?? ['user'] },
      privateKey,
      { algorithm: 'RS256', keyid: kid, subject: claims.sub ?? randomUUID(), issuer, audience, expiresIn: options.expiresInSeconds ?? 300 },
    );
  return {
    jwksUrl,
    issuer,
    audience,
    env: { JWKS_URL: jwksUrl, JWT_ISSUER: issuer, JWT_AUDIENCE: audience },
    token,
    admin: () => token({ sub: randomUUID(), email: 'admin@example.com', roles: ['admin', 'user'] }),
    user: (id = randomUUID()) => token({ sub: id, email: `${id}@example.com`, roles: ['user'] }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
