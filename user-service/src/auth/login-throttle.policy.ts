/**
 * Who may try a password, and how soon. Three counters over a fixed window, each counting the
 * attempt being decided (so parallel attempts cannot all read the same old count):
 * - the (address, account) pair: locked past `maxPerAccount` — a guesser cannot keep guessing one
 *   account from one address;
 * - the address: locked past `maxPerAddress` — one address cannot spray many accounts;
 * - the account as a whole: never locked, only slowed once it has `maxPerAccount` failures, by a
 *   delay that doubles with each further failure up to `maxDelayMs`. Locking the account would let
 *   any stranger lock its owner out; slowing it costs the owner at most `maxDelayMs`.
 */
export interface ThrottleLimits {
  maxPerAccount: number;
  maxPerAddress: number;
  delayMs: number;
  maxDelayMs: number;
}

export interface WindowCount {
  /** Attempts in the window, this one included. */
  count: number;
  /** Seconds until the window ends. */
  retryAfterSeconds: number;
}

export interface ThrottleCounts {
  pair: WindowCount;
  address: WindowCount;
  /** Failed password checks of the account in its window, from any address. */
  accountFailures: number;
}

export type ThrottleVerdict = { allowed: false; retryAfterSeconds: number } | { allowed: true; delayMs: number };

export function throttleVerdict(counts: ThrottleCounts, limits: ThrottleLimits): ThrottleVerdict {
  const exceeded = [
    counts.pair.count > limits.maxPerAccount ? counts.pair : undefined,
    counts.address.count > limits.maxPerAddress ? counts.address : undefined,
  ].filter((window): window is WindowCount => window !== undefined);
  if (exceeded.length > 0) {
    return { allowed: false, retryAfterSeconds: Math.max(1, ...exceeded.map((window) => window.retryAfterSeconds)) };
  }
  return { allowed: true, delayMs: accountDelayMs(counts.accountFailures, limits) };
}

export function accountDelayMs(failures: number, limits: ThrottleLimits): number {
  const beyond = failures - limits.maxPerAccount;
  if (beyond < 0) return 0;
  // 2 ** 30 is already past any sane bound; capping the exponent keeps the number finite.
  return Math.min(limits.maxDelayMs, limits.delayMs * 2 ** Math.min(beyond, 30));
}
