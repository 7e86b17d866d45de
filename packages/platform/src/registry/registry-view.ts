import type { Discovery } from './discovery';

export interface InstanceView {
  id: string;
  url: string;
  version: string | null;
  startedAt: string | null;
  /** When its heartbeat last renewed the lease (to the second), or null when unknown. */
  lastSeen: string | null;
  /** `up`: its lease is alive in etcd; `unknown`: etcd is unreachable, this is the last known state; `static`: a fixed URL. */
  status: 'up' | 'unknown' | 'static';
}

export interface RegistryView {
  discovery: 'etcd' | 'static';
  services: Array<{ name: string; instances: InstanceView[] }>;
}

/**
 * What the resolver knows, for operators: every service and its instances, each with the time of
 * its last heartbeat. A lease's remaining TTL says when its last keep-alive was, so the heartbeat
 * time is read from etcd rather than written by every instance on every beat.
 */
export async function registryView(discovery: Discovery): Promise<RegistryView> {
  const { resolver, client } = discovery;
  const services = await Promise.all(
    resolver.serviceNames().map(async (name) => ({
      name,
      instances: await Promise.all(
        resolver.instances(name).map(async (instance): Promise<InstanceView> => {
          const base = { id: instance.id, url: instance.url, version: instance.version ?? null, startedAt: instance.startedAt ?? null };
          if (!client || !instance.lease) return { ...base, lastSeen: null, status: 'static' };
          try {
            const lease = await client.kv.leaseClient.leaseTimeToLive({ ID: instance.lease });
            const sinceRenewal = Number(lease.grantedTTL) - Number(lease.TTL);
            return { ...base, lastSeen: new Date(Date.now() - sinceRenewal * 1000).toISOString(), status: Number(lease.TTL) > 0 ? 'up' : 'unknown' };
          } catch {
            return { ...base, lastSeen: null, status: 'unknown' };
          }
        }),
      ),
    })),
  );
  return { discovery: resolver.mode, services };
}

/** The same instances as Prometheus HTTP service discovery target groups, one per service. */
export function prometheusTargets(discovery: Discovery): Array<{ targets: string[]; labels: Record<string, string> }> {
  const { resolver } = discovery;
  return resolver.serviceNames().map((name) => ({
    targets: resolver.instances(name).map((instance) => new URL(instance.url).host),
    labels: { service: name },
  }));
}
