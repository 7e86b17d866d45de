import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import type { EventType } from '@oip/contracts';
import { lastValueFrom, throwError, type Observable } from 'rxjs';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import type { BrokerConnection } from '../messaging/broker-connection';
import { EventConsumer, type Idempotency } from '../messaging/consumer';
import { routeEvents } from '../messaging/event-routing';

export interface DomainEventsTransportOptions {
  broker: BrokerConnection;
  logger: Logger;
  metrics: Metrics;
  queue: string;
  types: readonly EventType[];
  idempotency: Idempotency;
  prefetch: number;
  maxRetries: number;
  retryBaseMs: number;
}

/**
 * A `@nestjs/microservices` transport over the platform consumer, so NestJS services handle
 * domain events with `@EventPattern('stock_reserved')` while retries, dead-lettering, idempotency
 * and acknowledgement after the effect are the same code as in the Express services. (Nest's own
 * RMQ transport expects its `{ pattern, data }` framing and acknowledges on receipt by default.)
 */
export class DomainEventsTransport extends Server implements CustomTransportStrategy {
  private consumer: EventConsumer | undefined;

  constructor(private readonly options: DomainEventsTransportOptions) {
    super();
  }

  listen(callback: (error?: unknown) => void): void {
    this.consumer = new EventConsumer(
      this.options.broker,
      this.options.logger,
      {
        ...this.options,
        handler: routeEvents(this.options.queue, (event) => {
          // Looked up as registered: our patterns are event types, plain strings. Nest's
          // getHandlerByPattern first tries JSON.parse on the pattern, which throws (with a stack
          // trace) for every message that is not JSON.
          const handler = this.messageHandlers.get(event.type);
          return handler?.(event).then((result) => lastValueFrom(this.transformToObservable(result), { defaultValue: undefined }));
        }),
      },
      this.options.metrics,
    );
    this.consumer.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  async close(): Promise<void> {
    await this.consumer?.stop();
  }

  on(): never {
    throw new Error('DomainEventsTransport emits no transport events');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }
}

/**
 * Nest's default RPC filter turns a handler's error into `{ status: 'error', message: 'Internal
 * server error' }`; the consumer would log that and write "[object Object]" as the DLQ message's
 * `x-last-error`. This passes the handler's own error on, for the log and for whoever reads the DLQ.
 * Put it on each `@EventPattern` controller with `@UseFilters(HandlerErrorPassThrough)`: a global
 * one cannot be registered on the hybrid app's microservice before its handlers are built.
 */
@Catch()
export class HandlerErrorPassThrough implements RpcExceptionFilter {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
