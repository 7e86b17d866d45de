import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Request } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import { clientKeys } from '../src/rate-limit/client-key';

const from = (ip: string) => ({ ip, socket: {} }) as unknown as Request;

describe('rate-limit client key (pure)', () => {
  it('When the same addresses come again, then each keeps the key express-rate-limit gives it (IPv4, mapped IPv4, IPv6 /56)', () => {
    const key = clientKeys();
    const addresses = ['203.0.113.7', '::ffff:127.0.0.1', '2001:db8:abcd:12ff::1', '2001:db8:abcd:1200::2'];

    const first = addresses.map((ip) => key(from(ip)));
    const again = addresses.map((ip) => key(from(ip)));

    assert.deepEqual(first, addresses.map((ip) => ipKeyGenerator(ip)));
    assert.deepEqual(again, first);
    assert.deepEqual(first.slice(1), ['127.0.0.1', '2001:db8:abcd:1200::/56', '2001:db8:abcd:1200::/56']);
  });

  it('When more addresses than its capacity arrive, then it still answers each correctly', () => {
    const key = clientKeys(2);

    const keys = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.1'].map((ip) => key(from(ip)));

    assert.deepEqual(keys, ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.1']);
  });
});
