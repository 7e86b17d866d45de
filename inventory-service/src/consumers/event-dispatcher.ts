import type { AnyCloudEvent, CloudEvent, EventType } from '@oip/contracts';
import type { EventHandler } from '@oip/platform';

/** A handler per event type; the dispatcher picks by `type`. */
export type HandlerTable = { [T in EventType]?: (event: CloudEvent<T>) => Promise<void> };

/** An event of a type this service is subscribed to but has no handler for: retried, then dead-lettered, never acked silently. */
export class UnhandledEventTypeError extends Error {
  readonly code = 'EVENT.UNHANDLED_TYPE';
}

export function dispatchByType(handlers: HandlerTable): EventHandler {
  return async (event: AnyCloudEvent) => {
    const handler = handlers[event.type] as ((event: AnyCloudEvent) => Promise<void>) | undefined;
    if (!handler) throw new UnhandledEventTypeError(`inventory-service has no handler for ${event.type} (event ${event.id})`);
    await handler(event);
  };
}

/** The subscribed types without a handler, for a start-up check. */
export function missingHandlers(types: readonly EventType[], handlers: HandlerTable): EventType[] {
  return types.filter((type) => !handlers[type]);
}
