import { isIP } from 'node:net';

/** The address ranges Express (proxy-addr) knows by name. */
const namedRanges = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** `loopback`, an address, or an address with a prefix length (`10.0.0.0/8`, `fd00::/8`). */
export function isProxyAddress(entry: string): boolean {
  if (namedRanges.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Express's `trust proxy` for the configured proxies. Only a peer in the list may say, in
 * X-Forwarded-For, whom it forwards for; anyone else is the client, whatever headers it sends.
 * Trusting a whole private range instead would let any host there (or any container in the
 * network) pick its own address and slip past every per-address limit.
 */
export const trustProxySetting = (trusted: readonly string[]): false | string[] => (trusted.length > 0 ? [...trusted] : false);
