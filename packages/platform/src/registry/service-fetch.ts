import type { InstancePicker } from './service-resolver';

/** Failures that mean the instance never saw the request: another instance may safely get it. */
const CONNECTION_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

export function isConnectionFailure(error: unknown): boolean {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const code = cause?.code ?? (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && CONNECTION_FAILURES.has(code);
}

/** Only these may be sent twice: they change nothing. */
export function isRetryableMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/**
 * `fetch` to one instance of a service, by round-robin. A GET or HEAD whose connection was refused
 * or reset before any answer is tried once more on another instance (an instance that just died,
 * or is draining); anything else fails as it is. No instance: the picker's 503 SERVICE.UNAVAILABLE.
 */
export async function fetchService(picker: InstancePicker, service: string, path: string, init: RequestInit = {}): Promise<Response> {
  const retryable = isRetryableMethod((init.method ?? 'GET').toUpperCase());
  const tried: string[] = [];
  for (;;) {
    const instance = picker.pick(service, tried);
    try {
      return await fetch(`${instance.url}${path}`, init);
    } catch (error) {
      tried.push(instance.id);
      if (!retryable || tried.length > 1 || !isConnectionFailure(error)) throw error;
    }
  }
}
