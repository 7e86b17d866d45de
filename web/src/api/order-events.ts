import { orders, unwrap, type Order } from './clients';
import { authFetch } from './session';

const FINAL = new Set(['REJECTED', 'CANCELLED', 'DELIVERED']);
const POLL_MS = 2000;

export type WatchMode = 'live' | 'polling';

/**
 * Follows an order: server-sent events from GET /api/orders/:id/events, read with fetch (not
 * EventSource, which cannot send the Authorization header: the token stays out of the URL). When
 * the stream cannot be had or breaks, it falls back to reading the order every two seconds.
 * Returns the function that stops watching.
 */
export function watchOrder(id: string, onOrder: (order: Order) => void, onMode: (mode: WatchMode) => void): () => void {
  const controller = new AbortController();
  let stopped = false;
  let timer: number | undefined;

  const poll = async (): Promise<void> => {
    if (stopped) return;
    try {
      const order = unwrap(await orders.GET('/orders/{id}', { params: { path: { id } } }));
      onOrder(order);
      if (FINAL.has(order.status)) return;
    } catch {
      // Shown as stale by the page's last state; the next round may succeed.
    }
    if (!stopped) timer = window.setTimeout(() => void poll(), POLL_MS);
  };

  const stream = async (): Promise<void> => {
    const answer = await authFetch(new Request(`/api/orders/${encodeURIComponent(id)}/events`, { headers: { accept: 'text/event-stream' }, signal: controller.signal }));
    if (!answer.ok || !answer.body || !answer.headers.get('content-type')?.startsWith('text/event-stream')) throw new Error(`events answered ${answer.status}`);
    onMode('live');
    const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let last: Order | undefined;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (!data) continue;
        last = JSON.parse(data) as Order;
        onOrder(last);
      }
    }
    // The service ends the stream after a final status; anything else is a broken stream.
    if (!last || !FINAL.has(last.status)) throw new Error('stream ended early');
  };

  stream().catch(() => {
    if (stopped) return;
    onMode('polling');
    void poll();
  });

  return () => {
    stopped = true;
    controller.abort();
    window.clearTimeout(timer);
  };
}
