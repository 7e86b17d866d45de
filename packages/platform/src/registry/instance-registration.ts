import type { Lease } from 'etcd3';
import type { Logger } from 'pino';
import { instanceKey, type InstanceRecord } from './instance-record';
import type { RegistryClient } from './etcd-client';

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 5000;

/**
 * Keeps one instance registered: its record under `/services/<name>/<id>`, attached to a lease
 * whose keep-alive is the heartbeat. When the lease is lost (etcd was away longer than the TTL, or
 * lost its data) a new lease is granted and the record written again, for as long as the process
 * runs; etcd being away never stops the instance from serving.
 */
export class InstanceRegistration {
  private lease: Lease | undefined;
  private registered = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt = 0;

  constructor(
    private readonly client: RegistryClient,
    readonly record: InstanceRecord,
    private readonly ttlSeconds: number,
    private readonly logger: Logger,
  ) {}

  /** Registers in the background; resolves at once, whether or not etcd answers. */
  start(): void {
    this.stopped = false;
    void this.register();
  }

  /** Whether the record is in etcd now, as far as this process knows (for /health/ready). */
  assertRegistered(): void {
    if (!this.registered) throw new Error('not registered in etcd (retrying)');
  }

  /** Takes the record out at once (the lease is revoked), so nobody routes here any more. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const lease = this.lease;
    this.lease = undefined;
    this.registered = false;
    if (!lease) return;
    try {
      await lease.revoke();
      this.logger.info({ key: instanceKey(this.record) }, 'deregistered from etcd');
    } catch (error) {
      // The lease then expires by itself within the TTL.
      lease.release();
      this.logger.warn({ err: error }, 'could not revoke the registry lease; it expires within its TTL');
    }
  }

  private async register(): Promise<void> {
    if (this.stopped) return;
    const lease = this.client.kv.lease(this.ttlSeconds, { autoKeepAlive: true });
    this.lease = lease;
    lease.on('lost', (error) => {
      if (this.lease !== lease || this.stopped) return;
      this.registered = false;
      this.logger.warn({ err: error }, 'registry lease lost; registering again');
      this.retry();
    });
    try {
      await lease.put(instanceKey(this.record)).value(JSON.stringify(this.record));
      if (this.lease !== lease) return;
      this.registered = true;
      this.attempt = 0;
      this.logger.info({ key: instanceKey(this.record), url: this.record.url, ttlSeconds: this.ttlSeconds }, 'registered in etcd');
    } catch (error) {
      if (this.lease !== lease || this.stopped) return;
      this.logger.warn({ err: error }, 'could not register in etcd; retrying');
      this.retry();
    }
  }

  private retry(): void {
    const lease = this.lease;
    this.lease = undefined;
    // A lease that never reached etcd, or that etcd forgot, needs no revoke; just stop its heartbeat.
    lease?.release();
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.attempt);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => void this.register(), delay);
    this.retryTimer.unref();
  }
}
