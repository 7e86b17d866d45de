import type { Request } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';

/**
 * The rate limiter's key for a client: its address, an IPv6 one as its /56 (express-rate-limit's
 * own rule, through its helper). Remembered per address because parsing an IPv6 address — and a
 * server listening on `::` sees IPv4 clients as `::ffff:a.b.c.d` — was a fifth of the gateway's CPU
 * per proxied read, and a client keeps its address across requests. Bounded: a flood of new
 * addresses only empties the memory, it does not grow it.
 */
export function clientKeys(capacity = 10_000): (req: Request) => string {
  const keys = new Map<string, string>();
  return (req) => {
    const ip = req.ip ?? req.socket.remoteAddress ?? '';
    let key = keys.get(ip);
    if (key === undefined) {
      if (keys.size >= capacity) keys.clear();
      key = ipKeyGenerator(ip);
      keys.set(ip, key);
    }
    return key;
  };
}
