import type { AnyCloudEvent, CloudEvent, EventType } from '@oip/contracts';
import { ErrorCode } from '../errors';
import type { EventHandler } from './consumer';

/** A handler per event type, for `dispatchByType`. */
export type HandlerTable = { [T in EventType]?: (event: CloudEvent<T>) => Promise<void> };

/**
 * Handles the event and returns the promise of it, or returns undefined when nothing in this
 * service handles its type.
 */
export type HandleIfKnown = (event: AnyCloudEvent) => Promise<unknown> | undefined;

/** An event of a subscribed type that has no handler: retried, then dead-lettered, never acked silently. */
export class UnhandledEventTypeError extends Error {
  readonly code = ErrorCode.EVENT_UNHANDLED_TYPE;
}

/**
 * Another delivery of the same event is being handled right now. The consumer recognises the code
 * and tries again later without spending a retry: the other delivery's lease can outlast the
 * whole retry budget, and an event whose handler died must not be dead-lettered unhandled.
 */
export class EventInProgressError extends Error {
  readonly code = ErrorCode.EVENT_IN_PROGRESS;
}

/** The consumer's one handler, routing each event to its type's handler; `consumer` names the service in the error. */
export function routeEvents(consumer: string, handle: HandleIfKnown): EventHandler {
  return async (event) => {
    const handled = handle(event);
    if (!handled) throw new UnhandledEventTypeError(`${consumer} has no handler for ${event.type} (event ${event.id})`);
    await handled;
  };
}

export function dispatchByType(consumer: string, handlers: HandlerTable): EventHandler {
  return routeEvents(consumer, (event) => (handlers[event.type] as ((event: AnyCloudEvent) => Promise<void>) | undefined)?.(event));
}

/** The subscribed types without a handler, for a start-up check. */
export function missingHandlers(types: readonly EventType[], handlers: HandlerTable): EventType[] {
  return types.filter((type) => !handlers[type]);
}
