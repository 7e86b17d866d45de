import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { faultSkip } from './fault-tests';
import { testInfra, type Component } from './infrastructure';
import { spawnService, startService, type ServiceProcess } from './service-process';
import { startTestIssuer, type TestIssuer } from './test-issuer';
import { waitFor } from './wait';

/**
 * The behaviour every service shares (platform issue): health, metrics, OpenAPI, problem+json for
 * unknown routes, refusing a bad config, draining on SIGTERM, and readiness that follows its store.
 * Each service runs it against its own compiled entry point and real infrastructure.
 */
export interface ShellSuiteOptions {
  service: string;
  portVariable: string;
  /** The environment that points the service at the test infrastructure. */
  env: () => Record<string, string> | Promise<Record<string, string>>;
  /** The store whose outage must make the service not ready, and its readiness check name. */
  store?: { component: Component; check: string };
  /** Readiness checks expected up besides the store (e.g. rabbitmq). */
  checks: string[];
  /** The METRICS_TOKEN the service is started with, when its /metrics needs one. */
  metricsToken?: string;
}

async function readiness(url: string): Promise<{ status: number; body: { checks: Record<string, { status: string }> } }> {
  const answer = await fetch(`${url}/health/ready`);
  return { status: answer.status, body: (await answer.json()) as { checks: Record<string, { status: string }> } };
}

export function serviceShellSuite(options: ShellSuiteOptions): void {
  describe(`${options.service} shell`, () => {
    let service: ServiceProcess;
    // Readiness includes the token revocation list, which a verifier loads from its issuer.
    let issuer: TestIssuer;

    before(async () => {
      issuer = await startTestIssuer();
      const metricsEnv: Record<string, string> = options.metricsToken ? { METRICS_TOKEN: options.metricsToken } : {};
      service = await startService(options.service, options.portVariable, { ...issuer.env, ...(await options.env()), ...metricsEnv });
      await waitFor(async () => ((await readiness(service.url)).status === 200 ? true : undefined), 30_000);
    });

    after(async () => {
      await service.kill();
      await issuer.close();
    });

    it('When its dependencies are up, then it is live and ready, each check up', async () => {
      const live = await fetch(`${service.url}/health/live`);
      const ready = await readiness(service.url);

      assert.equal(live.status, 200);
      assert.equal(ready.status, 200);
      for (const check of [...options.checks, ...(options.store ? [options.store.check] : [])]) {
        assert.equal(ready.body.checks[check]?.status, 'up', `check ${check}`);
      }
    });

    it('When scraped, then /metrics serves Prometheus text with request timings', async () => {
      await fetch(`${service.url}/health/live`);
      const headers: Record<string, string> = options.metricsToken ? { authorization: `Bearer ${options.metricsToken}` } : {};
      const answer = await fetch(`${service.url}/metrics`, { headers });
      const text = await answer.text();

      assert.equal(answer.status, 200);
      assert.match(text, /http_request_duration_seconds_bucket/);
      assert.match(text, /process_resident_memory_bytes/);
    });

    if (options.metricsToken) {
      it('When /metrics is scraped without the metrics token or with a wrong one, then 401 and no metrics', async () => {
        const without = await fetch(`${service.url}/metrics`);
        const wrong = await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${options.metricsToken}x` } });

        assert.equal(without.status, 401);
        assert.equal(wrong.status, 401);
        assert.doesNotMatch(await wrong.text(), /process_resident_memory_bytes/);
      });
    }

    it('When asked for its API description, then it serves an OpenAPI document and a docs UI', async () => {
      const document = (await (await fetch(`${service.url}/openapi.json`)).json()) as { openapi?: string; info?: { title?: string } };
      const ui = await fetch(`${service.url}/docs/`);

      assert.match(document.openapi ?? '', /^3\./);
      assert.ok(document.info?.title);
      assert.equal(ui.status, 200);
      assert.match(await ui.text(), /swagger/i);
    });

    it('When a route does not exist, then it answers 404 problem+json without internals', async () => {
      const answer = await fetch(`${service.url}/no/such/route`, { headers: { 'x-request-id': 'shell-test-404' } });
      const body = (await answer.json()) as Record<string, unknown>;

      assert.equal(answer.status, 404);
      assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(body['status'], 404);
      assert.equal(typeof body['title'], 'string');
      assert.equal(answer.headers.get('x-request-id'), 'shell-test-404');
      assert.doesNotMatch(JSON.stringify(body), /at \w+ \(|node_modules|stack/);
    });

    it('When its port variable is not a number, then it refuses to start and names the variable', async () => {
      const { output, exited } = spawnService(options.service, { ...(await options.env()), [options.portVariable]: 'not-a-port' });

      const code = await exited;

      assert.equal(code, 1);
      assert.match(output(), new RegExp(options.portVariable));
    });

    it('When it gets SIGTERM, then it drains and exits cleanly', async () => {
      const second = await startService(options.service, options.portVariable, await options.env());

      const code = await second.stop();

      assert.equal(code, 0);
    });

    const store = options.store;
    if (store) {
      it(`When ${store.component} stops, then readiness turns 503, and 200 again once it is back`, { skip: faultSkip() }, async () => {
        const infra = testInfra();
        await infra.stop(store.component);
        try {
          const down = await waitFor(async () => {
            const report = await readiness(service.url);
            return report.status === 503 ? report : undefined;
          }, 30_000);
          assert.equal(down.body.checks[store.check]?.status, 'down');
        } finally {
          await infra.start(store.component);
        }
        const up = await waitFor(async () => {
          const report = await readiness(service.url);
          return report.status === 200 ? report : undefined;
        }, 60_000);
        assert.equal(up.body.checks[store.check]?.status, 'up');
      });
    }
  });
}
