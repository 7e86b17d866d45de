import { context, trace } from '@opentelemetry/api';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { EventContractError, parseEvent, type AnyCloudEvent, type EventType } from '@oip/contracts';
import type { Logger } from 'pino';
import { ErrorCode } from '../errors';
import type { Metrics } from '../metrics';
import { runWithContext } from '../request-context';
import { contextOf } from '../telemetry/trace-context';
import type { BrokerConnection } from './broker-connection';
import { observeDeadLetterDepth } from './dead-letter-depth';
import { assertConsumerQueue, dlqOf, retryDelays, retryQueueOf } from './topology';

/**
 * Runs an effect at most once per event id, even when the broker delivers the event again.
 * `processed` means the effect ran now; `duplicate` that it had already run and was skipped.
 */
export interface Idempotency {
  run(consumer: string, eventId: string, effect: () => Promise<void>): Promise<'processed' | 'duplicate'>;
}

/**
 * For handlers whose effect is idempotent by itself (a unique key decides, as notification-service's
 * (eventId, recipient) index does): no separate record per event, so no extra database round trips.
 */
export const handlerIsIdempotent: Idempotency = {
  async run(_consumer, _eventId, effect) {
    await effect();
    return 'processed';
  },
};

export type EventHandler = (event: AnyCloudEvent) => Promise<void>;

export interface ConsumerOptions {
  /** The queue, named after the consuming service. */
  queue: string;
  types: readonly EventType[];
  handler: EventHandler;
  idempotency: Idempotency;
  prefetch: number;
  maxRetries: number;
  retryBaseMs: number;
  /** Only for throwaway queues (tests): the broker deletes them after this long unused. */
  queueExpiresMs?: number;
  /** How long stop() waits for handlers in flight (default 10 s). */
  stopTimeoutMs?: number;
}

/** Headers a message carries on its way through retries to the DLQ (read by DeadLetters). */
export const ATTEMPT_HEADER = 'x-attempt';
export const LAST_ERROR_HEADER = 'x-last-error';
export const DEAD_LETTERED_AT_HEADER = 'x-dead-lettered-at';

/**
 * Consumes one queue with bounded prefetch. A message is acknowledged only after its handler's
 * effect is committed; a failed handler sends it to a delay queue for a later attempt (exponential
 * backoff), and after `maxRetries` to the dead-letter queue with the error — never dropped. Moving a
 * message (retry or DLQ) is confirmed by the broker before the original is acked, so a crash in
 * between causes a duplicate, which idempotency absorbs, rather than a loss.
 */
export class EventConsumer {
  private channel: ConfirmChannel | undefined;
  private consumerTag: string | undefined;
  /** Each handler in flight, with the message it handles (for the log when one outlives stop()). */
  private readonly inFlight = new Map<Promise<void>, string | undefined>();
  private stopped = false;
  private readonly delays: number[];

  constructor(
    private readonly broker: BrokerConnection,
    private readonly logger: Logger,
    private readonly options: ConsumerOptions,
    private readonly metrics?: Metrics,
  ) {
    this.delays = retryDelays(options.retryBaseMs, options.maxRetries);
    if (metrics) observeDeadLetterDepth(metrics, broker, options.queue);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.broker.onConnect(async (connection) => {
      if (!this.stopped) await this.subscribe(connection);
    });
  }

  /** Stops taking messages and waits for the ones in flight to finish (and be acked). */
  async stop(): Promise<void> {
    this.stopped = true;
    const channel = this.channel;
    if (channel && this.consumerTag) await channel.cancel(this.consumerTag).catch(() => undefined);
    await this.drain(this.options.stopTimeoutMs ?? 10_000);
    this.channel = undefined;
    if (channel) await channel.close().catch(() => undefined);
  }

  /**
   * Waits for the handlers in flight, but not for ever: a handler stuck on a dependency that never
   * answers must not hold up a shutdown. Its message is unacked, so closing the channel hands it
   * back to the queue, and idempotency absorbs the repeat if the stuck effect completes after all.
   */
  private async drain(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<true>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs)));
    const outcome = await Promise.race([Promise.allSettled([...this.inFlight.keys()]), timedOut]);
    clearTimeout(timer);
    if (outcome === true) {
      this.logger.error({ queue: this.options.queue, messageIds: [...this.inFlight.values()], timeoutMs }, 'handlers still running at stop; their messages return to the queue');
    }
  }

  private async subscribe(connection: ChannelModel): Promise<void> {
    const channel = await connection.createConfirmChannel();
    channel.on('error', (error: unknown) => this.logger.warn({ err: error }, 'consumer channel error'));
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      if (!this.stopped) this.broker.reopenWhileConnected(connection, () => this.subscribe(connection));
    });
    await assertConsumerQueue(channel, this.options.queue, this.options.types, this.delays, this.options.queueExpiresMs);
    await channel.prefetch(this.options.prefetch);
    this.channel = channel;
    const { consumerTag } = await channel.consume(
      this.options.queue,
      (message) => {
        // The broker cancelled us (e.g. the queue was deleted): a fresh channel declares it again.
        if (!message) {
          void channel.close().catch(() => undefined);
          return;
        }
        const work = this.handle(channel, message).finally(() => this.inFlight.delete(work));
        this.inFlight.set(work, message.properties.messageId as string | undefined);
      },
      { noAck: false },
    );
    this.consumerTag = consumerTag;
    this.logger.info({ queue: this.options.queue, types: this.options.types }, 'consuming');
  }

  private async handle(channel: ConfirmChannel, message: ConsumeMessage): Promise<void> {
    const endTimer = this.metrics?.eventHandlingDuration.startTimer();
    let event: AnyCloudEvent;
    try {
      event = parseEvent(JSON.parse(message.content.toString('utf8')));
    } catch (error) {
      // A message that breaks the contract will never succeed: straight to the DLQ.
      const reason = error instanceof EventContractError ? `${error.message}: ${error.issues.join('; ')}` : 'not JSON';
      this.logger.error({ reason, messageId: message.properties.messageId }, 'malformed event, dead-lettering');
      await this.settle(channel, message, () => this.forward(channel, message, dlqOf(this.options.queue), reason, Number(message.properties.headers?.[ATTEMPT_HEADER] ?? 0) + 1));
      this.metrics?.eventsConsumed.inc({ type: 'unknown', outcome: 'dead_lettered' });
      endTimer?.({ type: 'unknown', outcome: 'dead_lettered' });
      this.metrics?.eventsDeadLettered.inc({ queue: this.options.queue, type: 'unknown' });
      return;
    }

    // The amqplib instrumentation has opened the consumer span from the message's `traceparent`
    // header; a message without one (published before tracing, or by hand) continues the trace
    // the event itself names.
    const span = trace.getSpan(context.active());
    span?.setAttributes({ 'cloudevents.event_id': event.id, 'cloudevents.event_type': event.type });
    const traced = span ? context.active() : contextOf(event.traceparent);
    await context.with(traced, () => runWithContext({ requestId: event.correlationid ?? event.id, causationId: event.id }, async () => {
      const attempt = Number(message.properties.headers?.[ATTEMPT_HEADER] ?? 0);
      try {
        const outcome = await this.options.idempotency.run(this.options.queue, event.id, () => this.options.handler(event));
        await this.settle(channel, message, async () => undefined);
        this.metrics?.eventsConsumed.inc({ type: event.type, outcome });
        endTimer?.({ type: event.type, outcome });
        // A handled event is counted and timed per type and outcome (above); a line for each at info
        // cost more CPU than some handlers do. A duplicate is worth a line: it tells of a redelivery.
        this.logger[outcome === 'duplicate' ? 'info' : 'debug']({ eventId: event.id, type: event.type, outcome }, 'event handled');
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        // Another delivery holds the event's claim (often one a killed process left behind, until
        // its lease expires): waiting is the only thing to do, so it spends no retry — it waits at
        // the longest delay instead, or it would be dead-lettered before the lease runs out.
        const waiting = isInProgress(error) && this.delays.length > 0;
        // Waiting keeps the attempt count: the retries stay for real failures after the wait.
        const nextAttempt = waiting ? attempt : attempt + 1;
        const next = waiting ? this.delays[this.delays.length - 1] : this.delays[attempt];
        if (next !== undefined) {
          this.logger.warn({ err: error, eventId: event.id, type: event.type, attempt: attempt + 1, retryInMs: next }, 'event handler failed, will retry');
          await this.settle(channel, message, () => this.forward(channel, message, retryQueueOf(this.options.queue, next), reason, nextAttempt));
          this.metrics?.eventsConsumed.inc({ type: event.type, outcome: 'retried' });
          endTimer?.({ type: event.type, outcome: 'retried' });
        } else {
          this.logger.error({ err: error, eventId: event.id, type: event.type, attempts: attempt + 1 }, 'event handler failed for good, dead-lettering');
          await this.settle(channel, message, () => this.forward(channel, message, dlqOf(this.options.queue), reason, attempt + 1));
          this.metrics?.eventsConsumed.inc({ type: event.type, outcome: 'dead_lettered' });
          this.metrics?.eventsDeadLettered.inc({ queue: this.options.queue, type: event.type });
          endTimer?.({ type: event.type, outcome: 'dead_lettered' });
        }
      }
    }));
  }

  /** Runs `move` and then acks; if either fails (channel gone) the broker redelivers the message. */
  private async settle(channel: Channel, message: ConsumeMessage, move: () => Promise<void>): Promise<void> {
    try {
      await move();
      channel.ack(message);
    } catch (error) {
      this.logger.warn({ err: error, messageId: message.properties.messageId }, 'could not settle message; it will be redelivered');
    }
  }

  private forward(channel: ConfirmChannel, message: ConsumeMessage, queue: string, reason: string, attempt?: number): Promise<void> {
    const headers: Record<string, unknown> = { ...message.properties.headers, [LAST_ERROR_HEADER]: reason.slice(0, 500) };
    if (attempt !== undefined) headers[ATTEMPT_HEADER] = attempt;
    // When it gave up, for the operator reading the DLQ (the AMQP timestamp is the publish time).
    if (queue === dlqOf(this.options.queue)) headers[DEAD_LETTERED_AT_HEADER] = new Date().toISOString();
    return new Promise((resolve, reject) => {
      channel.sendToQueue(
        queue,
        message.content,
        { ...message.properties, persistent: true, headers },
        (error) => (error ? reject(error instanceof Error ? error : new Error('not confirmed')) : resolve()),
      );
    });
  }
}

/** An EventInProgressError, by code: instanceof does not cross packages. */
function isInProgress(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === ErrorCode.EVENT_IN_PROGRESS;
}
