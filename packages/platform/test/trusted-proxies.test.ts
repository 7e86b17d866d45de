import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { env, loadConfig } from '../src/config';
import { isProxyAddress, trustProxySetting } from '../src/http/trusted-proxies';

describe('trusted proxies', () => {
  it('When an entry is a named range, an address or an address with a prefix, then it is accepted, and anything else is not', () => {
    for (const entry of ['loopback', 'uniquelocal', '172.28.0.10', '10.0.0.0/8', '::1', 'fd00::/8']) assert.ok(isProxyAddress(entry), entry);
    for (const entry of ['gateway', '10.0.0.0/33', '::1/129', '10.0.0.1/8/1', '10.0.0', '*']) assert.ok(!isProxyAddress(entry), entry);
  });

  it('When the list is empty, then nobody is trusted; when a value is wrong, then the config names the variable', () => {
    const schema = z.object({ TRUSTED_PROXIES: env.proxies('') });

    assert.equal(trustProxySetting(loadConfig(schema, {}).TRUSTED_PROXIES), false);
    assert.deepEqual(trustProxySetting(loadConfig(schema, { TRUSTED_PROXIES: '172.28.0.10, loopback' }).TRUSTED_PROXIES), ['172.28.0.10', 'loopback']);
    assert.throws(() => loadConfig(schema, { TRUSTED_PROXIES: 'gateway' }), /TRUSTED_PROXIES/);
  });
});
