import { context, propagation } from '@opentelemetry/api';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { AnyCloudEvent, CloudEvent } from '@oip/contracts';
import { parseEvent } from '@oip/contracts';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import { contextOf } from '../telemetry/trace-context';
import type { BrokerConnection } from './broker-connection';
import { assertPlatformTopology, EXCHANGE } from './topology';

export interface PublisherOptions {
  /**
   * How long one attempt waits for its confirm. A channel that has not confirmed by then (seen
   * after a broker restart) is closed and a fresh one opened for the next attempt, instead of the
   * whole deadline being spent waiting on it.
   */
  confirmTimeoutMs?: number;
}

/**
 * Publishes domain events as persistent messages on a confirm channel and resolves only once the
 * broker has confirmed them (i.e. they are safely in every bound queue). Publishes in flight share
 * the channel and are confirmed as the broker acknowledges them (often several with one ack), so
 * nobody waits on the broker before sending the next message. While the broker is away it waits
 * for the connection to come back and tries again, up to `timeoutMs`; the caller (an outbox relay,
 * a consumer) decides what to do when that is exceeded.
 */
export class EventPublisher {
  private channel: ConfirmChannel | undefined;
  private channelConnection: ChannelModel | undefined;
  private readonly confirmTimeoutMs: number;

  constructor(
    private readonly broker: BrokerConnection,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
    options: PublisherOptions = {},
  ) {
    this.confirmTimeoutMs = options.confirmTimeoutMs ?? 5_000;
  }

  async start(): Promise<void> {
    await this.broker.onConnect(async (connection) => {
      await this.openChannel(connection);
    });
  }

  async publish(event: CloudEvent, timeoutMs = 30_000): Promise<void> {
    // Validate on the way out (a producer must not put a message on the bus that consumers refuse),
    // on exactly the JSON that is sent.
    const body = JSON.stringify(event);
    parseEvent(JSON.parse(body));
    const content = Buffer.from(body);
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        const channel = await this.waitForChannel(deadline);
        // A blocked broker (memory or disk alarm) or a channel that lost its way sends no confirm:
        // each attempt is bounded, and a channel that let one time out is replaced.
        // In the trace of the work that produced the event (stored with it when it went through an
        // outbox), so the publish and the consumer's span join that trace.
        const confirmed = context.with(contextOf(event.traceparent), () => this.publishOnce(channel, event as AnyCloudEvent, content));
        if ((await withTimeout(confirmed, Math.min(this.confirmTimeoutMs, deadline - Date.now()))) === TIMED_OUT) {
          this.recycle(channel);
          throw new Error(`no confirm within ${this.confirmTimeoutMs} ms; the channel is replaced`);
        }
        this.metrics?.eventsPublished.inc({ type: event.type });
        return;
      } catch (error) {
        lastError = error;
        this.logger.warn({ err: error, eventId: event.id, type: event.type }, 'publish not confirmed, retrying');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    throw new Error(`event ${event.id} (${event.type}) not confirmed within ${timeoutMs} ms: ${String(lastError)}`);
  }

  /**
   * Closes a channel that stopped confirming and opens another; the publishes still waiting on it
   * fail (its 'close') and go again on the new one — a message may so reach the broker twice,
   * which consumers absorb by event id.
   */
  private recycle(channel: ConfirmChannel): void {
    if (this.channel !== channel) return;
    this.channel = undefined;
    channel.close().catch(() => undefined);
    const connection = this.channelConnection;
    if (connection) this.broker.reopenWhileConnected(connection, () => this.openChannel(connection));
  }

  private async openChannel(connection: ChannelModel): Promise<void> {
    const channel = await connection.createConfirmChannel();
    // One short-lived 'close' listener per in-flight publish; there can be many at once.
    channel.setMaxListeners(0);
    channel.on('error', (error: unknown) => this.logger.warn({ err: error }, 'publisher channel error'));
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      this.broker.reopenWhileConnected(connection, () => this.openChannel(connection));
    });
    channel.on('return', (message: { fields: { routingKey: string } }) => {
      this.logger.warn({ routingKey: message.fields.routingKey }, 'event had no queue to go to');
    });
    await assertPlatformTopology(channel);
    this.channel = channel;
    this.channelConnection = connection;
  }

  private async waitForChannel(deadline: number): Promise<ConfirmChannel> {
    while (!this.channel) {
      if (Date.now() >= deadline) throw new Error('no channel to RabbitMQ');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return this.channel;
  }

  private publishOnce(channel: ConfirmChannel, event: AnyCloudEvent, content: Buffer): Promise<void> {
    // W3C `traceparent` for consumers of any kind (in a sampled trace the amqplib instrumentation
    // replaces it with its publish span's, a child of the same trace; in an unsampled one this
    // header alone carries the decision on).
    const headers: Record<string, string> = event.correlationid ? { correlationid: event.correlationid } : {};
    propagation.inject(context.active(), headers);
    if (event.traceparent) headers['traceparent'] ??= event.traceparent;
    return new Promise((resolve, reject) => {
      // A channel that closes before the confirm arrives means "unknown": treat it as not confirmed.
      const onClose = (): void => reject(new Error('channel closed before the broker confirmed'));
      channel.once('close', onClose);
      channel.publish(
        EXCHANGE,
        event.type,
        content,
        {
          persistent: true,
          mandatory: true,
          messageId: event.id,
          type: event.type,
          timestamp: Math.floor(Date.parse(event.time) / 1000),
          contentType: 'application/cloudevents+json',
          appId: event.source,
          headers,
        },
        (error) => {
          channel.off('close', onClose);
          if (error) reject(error instanceof Error ? error : new Error('broker refused the message'));
          else resolve();
        },
      );
    });
  }
}

const TIMED_OUT = Symbol('timed out');

/** The work's result, or TIMED_OUT when it has not settled within `ms`. */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), Math.max(ms, 0));
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
