import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@oip/platform';
import { LOGGER, SERVICE_CONFIG } from '@oip/platform/nest';
import type { Config } from '../config';

export interface PublicJwk extends JsonWebKey {
  kid: string;
  use: 'sig';
  alg: 'RS256';
}

/**
 * The RS256 key access tokens are signed with, and the JWKS every service verifies them against.
 * The private key comes from JWT_PRIVATE_KEY, or else is generated once into JWT_KEY_DIR
 * (`private.pem`, mode 0600) and reused on every start, so tokens survive a restart. Public keys
 * found in `JWT_KEY_DIR/retired/*.pem` stay in the JWKS: rotating means moving the old key there and
 * starting with a new one; tokens signed by the old key verify until they expire.
 */
@Injectable()
export class SigningKeys {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly jwks: { keys: PublicJwk[] };

  constructor(@Inject(SERVICE_CONFIG) config: Config, @Inject(LOGGER) logger: Logger) {
    this.privateKey = config.JWT_PRIVATE_KEY ? createPrivateKey(config.JWT_PRIVATE_KEY) : loadOrGenerate(config.JWT_KEY_DIR, logger);
    const current = publicJwk(createPublicKey(this.privateKey), config.JWT_KEY_ID);
    this.kid = current.kid;
    const retired = config.JWT_PRIVATE_KEY ? [] : retiredKeys(config.JWT_KEY_DIR).filter((key) => key.kid !== current.kid);
    this.jwks = { keys: [current, ...retired] };
    logger.info({ kid: this.kid, retired: retired.map((key) => key.kid), source: config.JWT_PRIVATE_KEY ? 'JWT_PRIVATE_KEY' : config.JWT_KEY_DIR }, 'signing key loaded');
  }
}

function loadOrGenerate(dir: string, logger: Logger): KeyObject {
  const file = path.join(dir, 'private.pem');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    try {
      // 'wx': when two instances start together, the first key written wins and both use it.
      writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { flag: 'wx', mode: 0o600 });
      logger.info({ file }, 'generated a new signing key');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return createPrivateKey(readFileSync(file));
}

function retiredKeys(dir: string): PublicJwk[] {
  const retired = path.join(dir, 'retired');
  if (!existsSync(retired)) return [];
  return readdirSync(retired)
    .filter((name) => name.endsWith('.pem'))
    .map((name) => publicJwk(createPublicKey(readFileSync(path.join(retired, name)))));
}

function publicJwk(key: KeyObject, kid?: string): PublicJwk {
  const jwk = key.export({ format: 'jwk' });
  return { kty: jwk.kty, n: jwk.n, e: jwk.e, kid: kid ?? thumbprint(jwk), use: 'sig', alg: 'RS256' };
}

/** RFC 7638: SHA-256 over the required members in lexicographic order, base64url. */
function thumbprint(jwk: JsonWebKey): string {
  return createHash('sha256').update(JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n })).digest('base64url');
}
