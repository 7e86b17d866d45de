import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot, request } from '@oip/testkit';
import { Stack, type Account, type ServiceName } from './support';

/**
 * Schemathesis (scripts/schemathesis.sh) against every service's own /openapi.json: generated valid
 * and invalid requests must never get a 5xx, and every answer must be documented — its status, its
 * content type and its body's schema.
 *
 * The fuzzer only ever holds tokens of accounts this test made — a customer and an admin it
 * registered and promoted itself, never the stack's seeded admin — and every id in a path is pinned
 * to a record of its own (a victim account, a product, an order), so roles changes, deactivations,
 * deletions and status changes can only land on its own data.
 */
/** Examples per operation: enough to find the classes of bug above, bounded to a few minutes for the whole platform. */
const MAX_EXAMPLES = 8;
const SERVICES: ServiceName[] = ['user-service', 'product-service', 'inventory-service', 'order-service', 'notification-service', 'api-gateway'];

describe('API fuzzing (schemathesis)', () => {
  const stack = new Stack();
  let workDir: string;
  let fuzzAdmin: Account;
  let pinned: Record<string, string>;

  before(async () => {
    // Install (once, cached under .data/) before the services start, so the install does not race them for CPU.
    await run('bash', [path.join(repoRoot, 'scripts/schemathesis.sh'), 'install'], 600_000);
    workDir = await mkdtemp(path.join(tmpdir(), 'api-fuzz-'));
    await stack.start();
    const customer = await stack.customer();
    const victim = await stack.customer();
    const admin = await stack.customer();
    const promoted = await request('PUT', `${stack.api}/users/${admin.id}/roles`, { token: stack.admin.token, body: { roles: ['user', 'admin'] } });
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
    fuzzAdmin = { ...admin, token: await stack.login(admin.email, admin.password) };
    const product = await stack.product(50);
    const order = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
    assert.equal(order.status, 201, JSON.stringify(order.body));
    pinned = { id: victim.id, productId: product.id, customerId: customer.id, orderId: order.body.id };
  });

  after(async () => {
    await stack.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  for (const service of SERVICES) {
    it(`When ${service}'s OpenAPI is fuzzed, then no answer is a 5xx and every answer is the documented one`, { timeout: 300_000 }, async () => {
      const base = stack.url(service);
      // `id` names a user in user-service, a product in product-service, an order in order-service.
      const id = service === 'user-service' ? pinned['id'] : service === 'product-service' ? pinned['productId'] : service === 'order-service' ? pinned['orderId'] : randomUUID();
      const config = path.join(workDir, `${service}.toml`);
      await writeFile(
        config,
        [
          '[parameters]',
          `"path.id" = "${id}"`,
          `"path.productId" = "${pinned['productId']}"`,
          `"path.customerId" = "${pinned['customerId']}"`,
        ].join('\n'),
      );
      const { code, output } = await run(
        'bash',
        [
          path.join(repoRoot, 'scripts/schemathesis.sh'),
          '--config-file',
          config,
          'run',
          `${base}/openapi.json`,
          '--url',
          base,
          '--header',
          `Authorization: Bearer ${fuzzAdmin.token}`,
          '--checks',
          'not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance',
          '--phases',
          'examples,coverage,fuzzing',
          '--max-examples',
          String(MAX_EXAMPLES),
          '--workers',
          '1',
          '--seed',
          '1',
          '--request-timeout',
          '10',
          '--no-color',
          '--suppress-health-check',
          'all',
          '--generation-database',
          'none',
          // An order's event stream stays open until the order is final: a fuzzer's request to it
          // can only time out. web/test/storefront.test.ts covers it (owner, stranger, live changes).
          '--exclude-path',
          '/orders/{id}/events',
        ],
        280_000,
        // Schemathesis keeps its caches in the working directory: the test's own, not the repository.
        workDir,
      );
      assert.equal(code, 0, `schemathesis found problems in ${service}:\n${output.slice(-6000)}`);
    });
  }

  it('When fuzzing is over, then the seeded admin is still an active admin', async () => {
    const token = await stack.login(stack.admin.email, stack.admin.password);
    const me = await request<{ roles: string[] }>('GET', `${stack.api}/users/me`, { token });
    assert.equal(me.status, 200);
    assert.ok(me.body.roles.includes('admin'));
  });
});

function run(command: string, args: string[], timeoutMs: number, cwd = repoRoot): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 && command === 'bash' && args[1] === 'install') reject(new Error(output));
      else resolve({ code, output });
    });
  });
}
