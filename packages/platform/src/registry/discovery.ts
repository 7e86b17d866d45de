import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { HealthRegistry } from '../health';
import { createRegistryClient, type RegistryClient } from './etcd-client';
import { EtcdResolver } from './etcd-resolver';
import { InstanceRegistration } from './instance-registration';
import { InstancePicker, StaticResolver, staticServiceUrls, type ServiceResolver } from './service-resolver';

export interface DiscoveryConfig {
  DISCOVERY: 'etcd' | 'static';
  ETCD_HOSTS: readonly string[];
  REGISTRY_NAMESPACE: string;
  REGISTRY_TTL_SECONDS: number;
  ADVERTISE_HOST: string;
}

/** How often a readiness probe runs before an instance registers. */
const READY_POLL_MS = 250;
/**
 * After deregistering, the instance keeps serving this long before it stops accepting
 * connections: other processes' watches see the deletion in milliseconds, and a request already
 * on its way still finds someone to answer it.
 */
const DEREGISTER_GRACE_MS = 250;

/**
 * One process's part in the service-registry pattern: the resolver it calls others through, and
 * (in etcd mode) its own registration once it is ready, withdrawn first on shutdown.
 */
export class Discovery {
  readonly resolver: ServiceResolver;
  readonly picker: InstancePicker;
  readonly client: RegistryClient | undefined;
  private registration: InstanceRegistration | undefined;
  private waitingForReady: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: DiscoveryConfig,
    private readonly serviceName: string,
    private readonly logger: Logger,
  ) {
    if (config.DISCOVERY === 'etcd') {
      this.client = createRegistryClient(config.ETCD_HOSTS, config.REGISTRY_NAMESPACE);
      this.resolver = new EtcdResolver(this.client, logger, config.REGISTRY_TTL_SECONDS * 1000);
    } else {
      this.resolver = new StaticResolver(staticServiceUrls(config));
    }
    this.picker = new InstancePicker(this.resolver);
  }

  /** In etcd mode: the registry check, which degrades readiness but never fails it. */
  registerHealthCheck(health: HealthRegistry): void {
    if (this.config.DISCOVERY !== 'etcd') return;
    health.register(
      'registry',
      () => {
        this.resolver.assertCurrent();
        if (!this.registration) throw new Error('not registered yet (registers once every other check is up)');
        this.registration.assertRegistered();
      },
      { degradable: true },
    );
  }

  async start(): Promise<void> {
    await this.resolver.start();
  }

  /** Registers this instance (listening on `port`) as soon as its readiness report says ok. */
  registerWhenReady(port: number, health: HealthRegistry): void {
    if (!this.client) return;
    const client = this.client;
    const record = {
      id: `${this.serviceName}-${randomUUID().slice(0, 8)}`,
      name: this.serviceName,
      url: `http://${advertisedHost(this.config.ADVERTISE_HOST)}:${port}`,
      version: serviceVersion(),
      startedAt: new Date().toISOString(),
      pid: process.pid,
      host: hostname(),
    };
    const poll = async (): Promise<void> => {
      const report = await health.readiness();
      if (report.status === 'ok') {
        this.registration = new InstanceRegistration(client, record, this.config.REGISTRY_TTL_SECONDS, this.logger);
        this.registration.start();
        return;
      }
      this.waitingForReady = setTimeout(() => void poll(), READY_POLL_MS);
    };
    void poll();
  }

  /** The first step of a shutdown: nobody is routed here any more. */
  async deregister(): Promise<void> {
    clearTimeout(this.waitingForReady);
    const registration = this.registration;
    this.registration = undefined;
    if (!registration) return;
    await registration.stop();
    await new Promise((resolve) => setTimeout(resolve, DEREGISTER_GRACE_MS));
  }

  /** The last step of a shutdown. */
  async stop(): Promise<void> {
    await this.resolver.stop();
    this.client?.close();
  }
}

function advertisedHost(setting: string): string {
  if (setting !== 'auto') return setting;
  for (const addresses of Object.values(networkInterfaces())) {
    const address = addresses?.find((candidate) => candidate.family === 'IPv4' && !candidate.internal);
    if (address) return address.address;
  }
  return hostname();
}

/** The version in the service's package.json, two levels above its entry point (`dist/src/main.js`). */
function serviceVersion(): string {
  try {
    const entry = process.argv[1] ?? path.join(process.cwd(), 'dist/src/main.js');
    const manifest = JSON.parse(readFileSync(path.resolve(path.dirname(entry), '../../package.json'), 'utf8')) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
