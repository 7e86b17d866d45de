import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  chartDir,
  helm,
  k8sTool,
  newestKubernetesVersions,
  parseObjects,
  podSpecOf,
  renderChart,
  resolveEnv,
  secretValues,
  validateAgainst,
  type Container,
  type K8sObject,
} from './support/helm';
import { appServices, loadConfigSchema, repoRoot, type AppService } from './support/repo';

const services = Object.keys(appServices) as AppService[];

/** The renderings every check runs on: the three the issue names, and one with every option on. */
const variants: Record<string, string[]> = {
  'default values': [],
  'every service at 3 replicas': services.map((service) => `services.${service}.replicas=3`),
  'infra.inCluster=true': ['infra.inCluster=true'],
  'etcd registry, Ingress and autoscaling on': [
    'infra.inCluster=true',
    'registry.enabled=true',
    'registry.etcd.replicas=3',
    'ingress.enabled=true',
    'ingress.tlsSecretName=orders-tls',
    'secrets.adminPassword=Admin-Password-123',
    'secrets.metricsToken=metrics-token-0123456789',
    ...services.map((service) => `services.${service}.autoscaling.enabled=true`),
  ],
};

interface Rendered {
  text: string;
  objects: K8sObject[];
}

interface Platform {
  operationalRoutes(health: unknown, metrics: unknown): { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
  HealthRegistry: new () => unknown;
  createMetrics(service: string): unknown;
  discoveryConfigShape: Record<string, unknown>;
}

/** The built platform package: the facts below are read from it, not restated here. */
function loadPlatform(): Promise<Platform> {
  return import(pathToFileURL(path.join(repoRoot, 'packages', 'platform', 'dist', 'src', 'index.js')).href) as Promise<Platform>;
}

/** GET routes every service serves, from the platform itself (express-app's operationalRoutes). */
function operationalGetRoutes(platform: Platform): string[] {
  const router = platform.operationalRoutes(new platform.HealthRegistry(), platform.createMetrics('helm-chart-test'));
  return router.stack.flatMap((layer) => (layer.route?.methods['get'] ? [layer.route.path] : []));
}

const byKind = (objects: K8sObject[], kind: string) => objects.filter((object) => object.kind === kind);
const named = (objects: K8sObject[], kind: string, name: string) => objects.find((object) => object.kind === kind && object.metadata.name === name);
const containersOf = (object: K8sObject): Container[] => {
  const pod = podSpecOf(object);
  return pod ? [...(pod.initContainers ?? []), ...pod.containers] : [];
};
const isLoopback = (value: unknown) => /127\.0\.0\.1|localhost|\[::1\]/.test(JSON.stringify(value) ?? '');

describe('Helm chart deploy/helm/order-inventory', () => {
  let kubernetesVersions: string[] = [];
  let getRoutes: string[] = [];
  /** Read only with DISCOVERY=etcd: the registry's address, lease and namespace. */
  let registryKeys: string[] = [];

  // helm is built from the Go module proxy on the first run (minutes); a missing Go fails here.
  before(async () => {
    k8sTool(['install']);
    kubernetesVersions = newestKubernetesVersions(2);
    const platform = await loadPlatform();
    getRoutes = operationalGetRoutes(platform);
    registryKeys = Object.keys(platform.discoveryConfigShape).filter((key) => key !== 'DISCOVERY');
  }, { timeout: 15 * 60_000 });

  it('When kubernetes-validate is asked for its versions, then it knows at least two minors to check against', () => {
    assert.equal(kubernetesVersions.length, 2, `versions: ${kubernetesVersions.join(', ')}`);
    assert.notEqual(kubernetesVersions[0], kubernetesVersions[1]);
  });

  it('When a rendered object has a misspelt field, then kubernetes-validate --strict rejects it (the check is real)', () => {
    const broken = renderChart([]).replace('readinessProbe:', 'readinesProbe:');

    for (const version of kubernetesVersions) assert.match(validateAgainst(version, broken), /readinesProbe/);
  });

  it('When secrets.existingSecret names a Secret of the team, then the chart makes none and every secret reference reads that one', () => {
    const objects = parseObjects(renderChart(['secrets.existingSecret=shop-credentials', 'infra.inCluster=true']));
    const references = objects.flatMap((object) =>
      containersOf(object).flatMap((container) => (container.env ?? []).flatMap((entry) => (entry.valueFrom?.secretKeyRef ? [entry.valueFrom.secretKeyRef.name] : []))),
    );

    assert.deepEqual(byKind(objects, 'Secret'), []);
    assert.ok(references.length > 0);
    assert.deepEqual([...new Set(references)], ['shop-credentials']);
  });

  it('When the NetworkPolicy is off, then the services believe X-Forwarded-For from loopback only, not from every private address', () => {
    const trust = (sets: string[]) => {
      const objects = parseObjects(renderChart(sets));
      return services.map((service) => {
        const container = podSpecOf(named(objects, 'Deployment', `oip-${service}`) ?? ({} as K8sObject))?.containers[0];
        return container ? resolveEnv(container, objects).get('TRUSTED_PROXIES') : undefined;
      });
    };

    assert.deepEqual(trust(['networkPolicy.enabled=false']), ['', ...services.slice(1).map(() => 'loopback')]);
    assert.deepEqual(trust([]), ['', ...services.slice(1).map(() => 'loopback,uniquelocal')]);
  });

  for (const [variant, sets] of Object.entries(variants)) {
    describe(`with ${variant}`, () => {
      let rendered: Rendered | undefined;
      const chart = (): Rendered => {
        if (!rendered) {
          const text = renderChart(sets);
          rendered = { text, objects: parseObjects(text) };
        }
        return rendered;
      };

      it('When linted, then helm lint --strict passes', () => {
        helm(['lint', '--strict', chartDir, ...sets.flatMap((set) => ['--set', set])]);
      });

      it('When rendered, then every object is valid for the two newest Kubernetes versions (kubernetes-validate --strict)', () => {
        assert.ok(chart().objects.length > 0);
        for (const version of kubernetesVersions) assert.equal(validateAgainst(version, chart().text), '', `Kubernetes ${version}`);
      });

      it('When rendered, then each service has a Deployment with its replicas, a Service, a PodDisruptionBudget and a NetworkPolicy', () => {
        const { objects } = chart();
        for (const service of services) {
          const deployment = named(objects, 'Deployment', `oip-${service}`);
          assert.ok(deployment, `Deployment oip-${service}`);
          const autoscaled = sets.includes(`services.${service}.autoscaling.enabled=true`);
          if (autoscaled) assert.ok(named(objects, 'HorizontalPodAutoscaler', `oip-${service}`), `HPA oip-${service}`);
          else assert.equal(deployment.spec?.['replicas'], sets.includes(`services.${service}.replicas=3`) ? 3 : 2, service);
          for (const kind of ['Service', 'PodDisruptionBudget', 'NetworkPolicy']) assert.ok(named(objects, kind, `oip-${service}`), `${kind} oip-${service}`);
        }
      });

      it('When probed, then readiness and liveness point at the platform health routes on the container port', () => {
        assert.ok(getRoutes.includes('/health/ready') && getRoutes.includes('/health/live'), `platform GET routes: ${getRoutes.join(', ')}`);
        for (const service of services) {
          const container = podSpecOf(named(chart().objects, 'Deployment', `oip-${service}`) ?? ({} as K8sObject))?.containers[0];
          assert.ok(container, service);
          const portNames = new Set((container.ports ?? []).flatMap((port) => [port.name, port.containerPort]));
          assert.equal(container.readinessProbe?.httpGet?.path, '/health/ready', `${service} readiness`);
          assert.equal(container.livenessProbe?.httpGet?.path, '/health/live', `${service} liveness`);
          for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
            if (!probe?.httpGet) continue;
            assert.ok(getRoutes.includes(probe.httpGet.path), `${service}: ${probe.httpGet.path} is not a route the platform serves`);
            assert.ok(portNames.has(probe.httpGet.port), `${service}: probe port ${probe.httpGet.port} is not a container port`);
          }
        }
      });

      it('When scheduled, then every container, init containers and infrastructure included, has CPU and memory requests and limits', () => {
        for (const object of chart().objects) {
          for (const container of containersOf(object)) {
            for (const bound of ['requests', 'limits'] as const) {
              for (const resource of ['cpu', 'memory']) {
                assert.ok(container.resources?.[bound]?.[resource], `${object.kind} ${object.metadata.name}/${container.name}: no ${resource} ${bound}`);
              }
            }
          }
        }
      });

      it('When configured, then no Secret value is in a ConfigMap or a plain env value, and no credential is outside the Secret', () => {
        const { objects } = chart();
        const secrets = byKind(objects, 'Secret').flatMap((secret) => [...secretValues(secret).values()]).filter((value) => value.length >= 8);
        assert.ok(secrets.length > 0, 'the chart renders a Secret with its passwords and key');
        const plain = [
          ...byKind(objects, 'ConfigMap').flatMap((map) => Object.entries(map.data ?? {}).map(([key, value]) => [`ConfigMap ${map.metadata.name} ${key}`, value])),
          ...objects.flatMap((object) =>
            containersOf(object).flatMap((container) =>
              (container.env ?? []).flatMap((entry) => (entry.value === undefined ? [] : [[`${object.metadata.name}/${container.name} env ${entry.name}`, entry.value]])),
            ),
          ),
        ];
        for (const [where = '', value = ''] of plain) {
          assert.ok(!secrets.some((secret) => value.includes(secret)), `${where} holds a Secret value`);
          assert.doesNotMatch(value, /:\/\/[^/@\s]+:[^/@\s]+@/, `${where} is a URL with a password`);
          assert.doesNotMatch(where, /PASSWORD|PRIVATE_KEY|TOKEN|SECRET/, `${where} looks secret`);
        }
      });

      for (const service of services) {
        it(`When ${service} starts, then its env sets every variable its config schema requires or defaults to loopback, and the schema accepts it`, async () => {
          const { keys, unset, parse } = await loadConfigSchema(service);
          const container = podSpecOf(named(chart().objects, 'Deployment', `oip-${service}`) ?? ({} as K8sObject))?.containers[0];
          assert.ok(container, service);
          const env = resolveEnv(container, chart().objects);

          const unread = env.get('DISCOVERY') === 'static' ? registryKeys : [];
          const mustSet = keys.filter((key) => {
            const fallback = unset.get(key);
            if (unread.includes(key)) return false;
            return fallback?.required === true || (fallback?.required === false && isLoopback(fallback.value));
          });
          const missing = mustSet.filter((key) => !env.get(key));
          const loopback = mustSet.filter((key) => isLoopback(env.get(key)));
          assert.deepEqual(missing, [], `${service} needs these set in the pod: ${missing.join(', ')}`);
          assert.deepEqual(loopback, [], `${service} keeps a loopback address, meaningless in a pod: ${loopback.join(', ')}`);
          assert.deepEqual(parse(Object.fromEntries(env)), [], `${service}'s config schema refuses the chart's env`);
        });
      }

      it('When services call each other, then each Service selects its pods, targets a container port, and the URLs name a Service port', () => {
        const { objects } = chart();
        const serviceObjects = byKind(objects, 'Service');
        const workloads = [...byKind(objects, 'Deployment'), ...byKind(objects, 'StatefulSet')];
        for (const svc of serviceObjects) {
          const selector = (svc.spec?.['selector'] ?? {}) as Record<string, string>;
          const pods = workloads.filter((workload) => {
            const labels = (workload.spec?.['template'] as { metadata?: { labels?: Record<string, string> } }).metadata?.labels ?? {};
            return Object.entries(selector).every(([key, value]) => labels[key] === value);
          });
          assert.equal(pods.length, 1, `Service ${svc.metadata.name} selects ${pods.length} workloads`);
          const containerPorts = containersOf(pods[0] as K8sObject).flatMap((container) => container.ports ?? []);
          for (const port of (svc.spec?.['ports'] ?? []) as { port: number; targetPort?: number | string }[]) {
            const target = port.targetPort ?? port.port;
            assert.ok(
              containerPorts.some((containerPort) => containerPort.name === target || containerPort.containerPort === target),
              `Service ${svc.metadata.name} targets ${target}, which no container of ${pods[0]?.metadata.name} exposes`,
            );
          }
        }
        for (const service of services) {
          const container = podSpecOf(named(objects, 'Deployment', `oip-${service}`) ?? ({} as K8sObject))?.containers[0];
          assert.ok(container, service);
          const env = resolveEnv(container, objects);
          const listensOn = Number(env.get(service === 'api-gateway' ? 'GATEWAY_PORT' : `${service.toUpperCase().replaceAll('-', '_')}_PORT`));
          assert.deepEqual(container.ports?.map((port) => port.containerPort), [listensOn], `${service} listens where its container port says`);
          for (const [key, value] of env) {
            if (!/^https?:\/\//.test(value) || !/_URL$|^ETCD_HOSTS$/.test(key)) continue;
            for (const address of value.split(',')) {
              const url = new URL(address);
              const host = url.hostname.split('.');
              // <service> or <pod>.<headless service> (etcd members).
              const target = named(objects, 'Service', host[0] ?? '') ?? named(objects, 'Service', host[1] ?? '');
              assert.ok(target, `${service}: ${key}=${address} names no Service of the chart`);
              const ports = ((target.spec?.['ports'] ?? []) as { port: number }[]).map((port) => port.port);
              assert.ok(ports.includes(Number(url.port)), `${service}: ${key}=${address} uses a port Service ${target.metadata.name} does not have (${ports.join(', ')})`);
            }
          }
        }
      });

      it('When released, then user- and order-service migrate in an init container running their migrate-only entry point, and no other does', () => {
        for (const service of services) {
          const pod = podSpecOf(named(chart().objects, 'Deployment', `oip-${service}`) ?? ({} as K8sObject));
          const migrate = pod?.initContainers?.find((container) => container.name === 'migrate');
          if (service === 'user-service' || service === 'order-service') {
            assert.deepEqual(migrate?.command, ['node', `${service}/dist/src/migrate.js`], service);
            assert.equal(migrate?.image, pod?.containers[0]?.image, `${service} migrates with its own image`);
            assert.ok(existsSync(path.join(repoRoot, service, 'dist', 'src', 'migrate.js')), `${service} builds dist/src/migrate.js`);
          } else {
            assert.equal(migrate, undefined, `${service} has no database migrations`);
          }
        }
      });

      it('When reached from outside the namespace, then only the gateway admits it, and each database admits only its own services', () => {
        const { objects } = chart();
        for (const service of services) {
          const ingress = (named(objects, 'NetworkPolicy', `oip-${service}`)?.spec?.['ingress'] ?? []) as { from?: unknown[] }[];
          assert.ok(ingress.length > 0, service);
          const open = ingress.some((rule) => rule.from === undefined);
          const fromOtherNamespaces = ingress.some((rule) => JSON.stringify(rule.from ?? []).includes('namespaceSelector'));
          assert.equal(open, service === 'api-gateway', `${service}: open to every source`);
          assert.equal(fromOtherNamespaces, false, `${service}: admits other namespaces`);
        }
        const owners: Record<string, AppService[]> = {
          postgres: ['user-service', 'order-service'],
          mongo: ['product-service', 'inventory-service', 'notification-service'],
        };
        for (const [store, expected] of Object.entries(owners)) {
          if (!named(objects, 'StatefulSet', `oip-${store}`)) continue;
          const policy = JSON.stringify(named(objects, 'NetworkPolicy', `oip-${store}`)?.spec ?? {});
          for (const service of services) assert.equal(policy.includes(`"${service}"`), expected.includes(service), `${store} admits ${service}`);
        }
      });
    });
  }
});
