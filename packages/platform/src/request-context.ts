import { AsyncLocalStorage } from 'node:async_hooks';

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
