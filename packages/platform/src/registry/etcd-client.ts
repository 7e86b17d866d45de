import { ExponentialBackoff } from 'cockatiel';
import { Etcd3, type Namespace } from 'etcd3';

/**
 * One etcd client per process, shared by its registration and its resolver. Calls are bounded so a
 * dead etcd answers with an error within seconds instead of hanging a caller; a broken watch is
 * retried every 2 s at most, so instances reappear soon after etcd does.
 */
export interface RegistryClient {
  /** Keys relative to the namespace (REGISTRY_NAMESPACE), so that systems or test stacks can share one etcd. */
  kv: Namespace;
  close(): void;
}

export function createRegistryClient(hosts: readonly string[], namespace: string): RegistryClient {
  const client = new Etcd3({
    hosts: [...hosts],
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + 3000 }),
    // The library types this option as a backoff step, not a factory: hand it the first step.
    faultHandling: { watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2000 }).next() },
  });
  return { kv: namespace ? client.namespace(namespace) : client, close: () => client.close() };
}
