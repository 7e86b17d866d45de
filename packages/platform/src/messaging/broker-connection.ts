import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Logger } from 'pino';

/**
 * One AMQP connection per process that heals itself: when the broker goes away it reconnects with
 * capped backoff and runs every registered `onConnect` hook again, so publishers and consumers
 * re-create their channels and re-declare their topology without anyone restarting the process.
 */
export type ConnectHook = (connection: ChannelModel) => Promise<void>;

export class BrokerConnection {
  private connection: ChannelModel | undefined;
  private readonly hooks: ConnectHook[] = [];
  private closing = false;
  private connecting: Promise<void> | undefined;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    private readonly options: { name: string; maxBackoffMs?: number } = { name: 'service' },
  ) {}

  get isConnected(): boolean {
    return this.connection !== undefined;
  }

  /** Registers a hook and runs it at once when already connected. */
  async onConnect(hook: ConnectHook): Promise<void> {
    this.hooks.push(hook);
    if (this.connection) await hook(this.connection);
  }

  /** Starts connecting in the background; `whenConnected` resolves once the first connection is up. */
  start(): void {
    this.closing = false;
    this.connecting ??= this.connectLoop().finally(() => {
      this.connecting = undefined;
    });
  }

  whenConnected(timeoutMs: number): Promise<void> {
    if (this.connection) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== done);
        reject(new Error(`RabbitMQ not reachable within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(done);
    });
  }

  /**
   * Re-runs `reopen` shortly after a channel of `connection` closed while the connection itself
   * stays up (the broker closes channels on its own, e.g. consumer_timeout or a protocol error);
   * when the whole connection went, the reconnect path re-runs the hooks instead.
   */
  reopenWhileConnected(connection: ChannelModel, reopen: () => Promise<void>): void {
    setTimeout(() => {
      if (this.closing || this.connection !== connection) return;
      reopen().catch((error: unknown) => this.logger.warn({ err: error }, 'could not reopen a RabbitMQ channel'));
    }, 500).unref();
  }

  /**
   * Runs `work` on a confirm channel of its own and closes it afterwards; deliveries left unacked
   * on it go back to their queues. Fails when not connected.
   */
  async withChannel<T>(work: (channel: ConfirmChannel) => Promise<T>): Promise<T> {
    if (!this.connection) throw new Error('not connected to RabbitMQ');
    const channel = await this.connection.createConfirmChannel();
    // A channel the broker closes emits 'error'; unheard, that would end the process.
    channel.on('error', (error: unknown) => this.logger.warn({ err: error }, 'RabbitMQ channel error'));
    try {
      return await work(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /** For the readiness check. */
  assertConnected(): void {
    if (!this.connection) throw new Error('not connected to RabbitMQ');
  }

  async close(): Promise<void> {
    this.closing = true;
    // A connection still being made must not outlive the close (it would keep the process alive).
    await this.connecting?.catch(() => undefined);
    const connection = this.connection;
    this.connection = undefined;
    if (connection) await connection.close().catch(() => undefined);
  }

  private async connectLoop(): Promise<void> {
    let attempt = 0;
    while (!this.closing) {
      let connection: ChannelModel | undefined;
      try {
        // noDelay: a publish or an ack is one small frame that someone waits for; Nagle's algorithm
        // would hold it back until the previous segment is acknowledged.
        connection = await amqp.connect(this.url, { noDelay: true, clientProperties: { connection_name: this.options.name } });
        const current = connection;
        current.on('error', (error: unknown) => this.logger.warn({ err: error }, 'RabbitMQ connection error'));
        for (const hook of this.hooks) await hook(current);
        if (this.closing) {
          await current.close().catch(() => undefined);
          return;
        }
        current.on('close', () => this.handleClose(current));
        this.connection = connection;
        this.logger.info({ attempt }, 'connected to RabbitMQ');
        for (const waiter of this.waiters.splice(0)) waiter();
        return;
      } catch (error) {
        // A half-set-up connection (a hook failed) is closed so nothing half-works on it.
        await connection?.close().catch(() => undefined);
        attempt += 1;
        const delay = Math.min(this.options.maxBackoffMs ?? 5000, 200 * 2 ** Math.min(attempt, 10));
        this.logger.warn({ err: error, attempt, retryInMs: delay }, 'cannot connect to RabbitMQ, retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private handleClose(connection: ChannelModel): void {
    if (this.connection !== connection && this.connection !== undefined) return;
    this.connection = undefined;
    if (this.closing) return;
    this.logger.warn('RabbitMQ connection lost, reconnecting');
    this.start();
  }
}
