import { AsyncLocalStorage } from 'node:async_hooks';
import type { Causation } from '@oip/contracts';

/**
 * The request id (HTTP) or correlation id (events) of the work in progress. Kept in async-local
 * storage so every log line and every published event carries it without threading it by hand.
 */
export interface RequestContext {
  requestId: string;
  /** The event being handled, so events published while handling it name it as their cause. */
  causationId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/** The ids an event published now carries: the request, or the event being handled, that caused it. */
export function contextCausation(): Causation {
  const context = storage.getStore();
  return { correlationId: context?.requestId, causationId: context?.causationId };
}
