import { AppError, ErrorCode } from '../errors';
import type { InstanceRecord } from './instance-record';

/** One instance the resolver may route to. */
export type ServiceInstance = Pick<InstanceRecord, 'id' | 'name' | 'url'> & Partial<InstanceRecord> & { lease?: string };

/**
 * Turns a service name into an instance to call. Every caller asks through this one interface,
 * whether the instances come from etcd (DISCOVERY=etcd) or from fixed URLs (DISCOVERY=static,
 * what Kubernetes service DNS or a load balancer gives).
 */
export interface ServiceResolver {
  readonly mode: 'etcd' | 'static';
  /** The live instances of a service as this process knows them; never waits on the registry. */
  instances(name: string): readonly ServiceInstance[];
  /** All services with at least one instance. */
  serviceNames(): string[];
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Throws while the registry cannot be watched (a readiness check that only degrades). */
  assertCurrent(): void;
}

/**
 * Round-robin over a service's instances. `except` names instances already tried for this
 * request, so a retry goes elsewhere. No instance: 503 `SERVICE.UNAVAILABLE` naming the service.
 */
export class InstancePicker {
  private readonly next = new Map<string, number>();

  constructor(private readonly resolver: ServiceResolver) {}

  pick(name: string, except: readonly string[] = []): ServiceInstance {
    const all = this.resolver.instances(name);
    const candidates = except.length === 0 ? all : all.filter((instance) => !except.includes(instance.id));
    if (candidates.length === 0) {
      const tried = except.length > 0 ? ' (every instance failed)' : '';
      throw new AppError('unavailable', ErrorCode.SERVICE_UNAVAILABLE, `No instance of ${name} is available${tried}`);
    }
    const turn = this.next.get(name) ?? 0;
    this.next.set(name, (turn + 1) % 1_000_000);
    return candidates[turn % candidates.length] as ServiceInstance;
  }
}

/** Fixed URLs, one per service: the `*_SERVICE_URL` variables. */
export class StaticResolver implements ServiceResolver {
  readonly mode = 'static';
  private readonly byName: Map<string, ServiceInstance[]>;

  constructor(urls: Record<string, string>) {
    this.byName = new Map(Object.entries(urls).map(([name, url]) => [name, [{ id: name, name, url }]]));
  }

  instances(name: string): readonly ServiceInstance[] {
    return this.byName.get(name) ?? [];
  }

  serviceNames(): string[] {
    return [...this.byName.keys()];
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  assertCurrent(): void {}
}

/**
 * The static map from configuration: `PRODUCT_SERVICE_URL` names `product-service`, and so on
 * for every `*_SERVICE_URL` variable a service's schema declares.
 */
export function staticServiceUrls(config: object): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    const match = /^([A-Z]+)_SERVICE_URL$/.exec(key);
    if (match?.[1] && typeof value === 'string') urls[`${match[1].toLowerCase()}-service`] = value;
  }
  return urls;
}
