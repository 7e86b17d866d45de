import type { Watcher } from 'etcd3';
import type { Logger } from 'pino';
import type { RegistryClient } from './etcd-client';
import { parseInstance, SERVICES_PREFIX } from './instance-record';
import type { ServiceInstance, ServiceResolver } from './service-resolver';

const WATCH_START_WAIT_MS = 2000;

/**
 * The live instances of every service, kept in memory from a watch on `/services/`, so no request
 * waits on etcd. The watch applies changes as they happen (a deregistration is seen in
 * milliseconds); a full read on every (re)connection and every `resyncMs` bounds whatever a
 * reconnection could have missed. While etcd is away the last known instances stay in use.
 */
export class EtcdResolver implements ServiceResolver {
  readonly mode = 'etcd';
  private readonly byKey = new Map<string, ServiceInstance>();
  /** `instances(name)` answers, dropped whenever the cache changes. */
  private readonly byName = new Map<string, ServiceInstance[]>();
  /**
   * etcd revisions of what the cache holds and of recent deletions, so that a full read that
   * started before a change the watch already applied cannot undo it.
   */
  private readonly revisionOf = new Map<string, bigint>();
  private readonly deletedAt = new Map<string, bigint>();
  /** Malformed keys already warned about, by key and revision, so one bad value warns once. */
  private readonly warned = new Set<string>();
  private watcher: Watcher | undefined;
  private connected = false;
  private lastError = 'not connected yet';
  private resyncTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly client: RegistryClient,
    private readonly logger: Logger,
    private readonly resyncMs: number,
  ) {}

  instances(name: string): readonly ServiceInstance[] {
    // Asked on every proxied request: built once per change, not per call.
    let found = this.byName.get(name);
    if (!found) {
      found = [...this.byKey.values()].filter((instance) => instance.name === name);
      // Map order is insertion order; sorting keeps round-robin fair across resyncs.
      found.sort((a, b) => (a.id < b.id ? -1 : 1));
      this.byName.set(name, found);
    }
    return found;
  }

  serviceNames(): string[] {
    return [...new Set([...this.byKey.values()].map((instance) => instance.name))].sort();
  }

  /** Starts watching; resolves after the first read if etcd answers, and at once if it does not. */
  async start(): Promise<void> {
    this.stopped = false;
    this.resyncTimer = setInterval(() => void this.resync(), this.resyncMs);
    this.resyncTimer.unref();
    // Watch first, then read: a change between the two is then seen by the watch, and the
    // revision checks keep the older read from undoing it.
    // A watch waits for etcd as long as it takes; an instance starts without it (and without
    // instances) rather than not at all, and the watch catches up when etcd answers.
    await Promise.race([this.watch(), new Promise((resolve) => setTimeout(resolve, WATCH_START_WAIT_MS).unref())]);
    await this.resync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resyncTimer);
    await this.watcher?.cancel().catch(() => undefined);
  }

  assertCurrent(): void {
    if (!this.connected) throw new Error(`registry unreachable, routing to the last known instances: ${this.lastError}`);
  }

  private async watch(): Promise<void> {
    try {
      const watcher = await this.client.kv.watch().prefix(SERVICES_PREFIX).create();
      if (this.stopped) {
        await watcher.cancel();
        return;
      }
      this.watcher = watcher;
      watcher
        .on('put', (kv) => this.apply(kv.key.toString(), kv.value.toString(), kv.mod_revision, kv.lease))
        .on('delete', (kv) => this.remove(kv.key.toString(), BigInt(kv.mod_revision)))
        .on('disconnected', (error) => this.markDisconnected(error))
        // The library resumes the watch from its last revision; the full read also catches what a
        // restarted etcd with a new history would not replay.
        .on('connected', () => void this.resync())
        .on('error', (error) => this.markDisconnected(error));
    } catch (error) {
      this.markDisconnected(error);
      if (this.stopped) return;
      setTimeout(() => void this.watch(), 1000).unref();
    }
  }

  private async resync(): Promise<void> {
    if (this.stopped) return;
    try {
      const answer = await this.client.kv.getAll().prefix(SERVICES_PREFIX).exec();
      const asOf = BigInt(answer.header.revision);
      const seen = new Set<string>();
      for (const kv of answer.kvs) {
        const key = kv.key.toString();
        seen.add(key);
        this.apply(key, kv.value.toString(), kv.mod_revision, kv.lease);
      }
      for (const [key, revision] of this.revisionOf) if (!seen.has(key) && revision <= asOf) this.remove(key, asOf);
      for (const [key, revision] of this.deletedAt) if (revision <= asOf) this.deletedAt.delete(key);
      if (!this.connected) this.logger.info({ instances: this.byKey.size }, 'registry reachable');
      this.connected = true;
    } catch (error) {
      this.markDisconnected(error);
    }
  }

  private apply(key: string, value: string, modRevision: string, lease: string): void {
    const revision = BigInt(modRevision);
    if ((this.revisionOf.get(key) ?? -1n) > revision || (this.deletedAt.get(key) ?? -1n) >= revision) return;
    this.revisionOf.set(key, revision);
    const parsed = parseInstance(key, value);
    this.byName.clear();
    if (!parsed.ok) {
      this.byKey.delete(key);
      const mark = `${key}@${modRevision}`;
      if (!this.warned.has(mark)) {
        this.warned.add(mark);
        this.logger.warn({ key, reason: parsed.reason }, 'skipping a malformed registry entry');
      }
      return;
    }
    this.byKey.set(key, { ...parsed.record, lease });
  }

  private remove(key: string, revision: bigint): void {
    this.byName.clear();
    this.byKey.delete(key);
    this.revisionOf.delete(key);
    if (revision > (this.deletedAt.get(key) ?? -1n)) this.deletedAt.set(key, revision);
  }

  private markDisconnected(error: unknown): void {
    this.lastError = error instanceof Error ? error.message : String(error);
    if (this.connected) this.logger.warn({ err: error, instances: this.byKey.size }, 'registry unreachable; keeping the last known instances');
    this.connected = false;
  }
}
